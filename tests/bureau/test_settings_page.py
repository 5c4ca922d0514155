"""The bureau settings page (issue 12): a bureau admin keeps the bureau's name, county,
telephone and seal; the environment's values stand until then; receipts, reports, e-mails,
the page header and the login page print them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appointments import receipts
from cqo_registry.bureau import profile
from cqo_registry.bureau.models import BureauProfile

pytestmark = pytest.mark.django_db

URL = "/bureau/"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)


def test_environment_values_are_the_first_defaults(client_for, bureau_admin, settings):
    settings.CQO_BUREAU_NAME = "市场监督管理局"
    settings.CQO_BUREAU_COUNTY = "长丰县"
    settings.CQO_BUREAU_PHONE = "0551-66661234"
    html = client_for(bureau_admin).get(URL).content.decode()
    assert 'value="市场监督管理局"' in html
    assert 'value="长丰县"' in html
    assert "长丰县市场监督管理局" in html  # the header and the preview
    assert receipts.bureau_name() == "长丰县市场监督管理局"


def test_bureau_admin_saves_the_profile_and_every_page_shows_it(
    client_for, bureau_admin, django_capture_on_commit_callbacks
):
    client = client_for(bureau_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                "name": "市场监督管理局",
                "county": "肥西县",
                "phone": "0551-68881234",
                "seal": SimpleUploadedFile("seal.png", PNG, "image/png"),
            },
        )
    assert response.status_code == 302
    row = BureauProfile.objects.get()
    assert row.county == "肥西县" and row.seal
    shown = profile.current()
    assert shown.full_name == "肥西县市场监督管理局"
    assert shown.seal_data_uri.startswith("data:image/png;base64,")
    assert "肥西县市场监督管理局" in client.get("/review/").content.decode()
    login = client_for(None).get(reverse("login")).content.decode()
    assert "肥西县市场监督管理局" in login and "0551-68881234" in login
    assert receipts.bureau_name() == "肥西县市场监督管理局"


def test_a_seal_that_is_not_an_image_is_refused(client_for, bureau_admin):
    response = client_for(bureau_admin).post(
        URL,
        {
            "name": "县市场监督管理局",
            "seal": SimpleUploadedFile("seal.png", b"<svg/>", "image/png"),
        },
    )
    assert response.status_code == 200
    assert not BureauProfile.objects.exists()


@pytest.mark.parametrize(
    "role", ["reviewer", "leader", "town_officer", "enterprise_user", "no_role_user"]
)
def test_other_roles_may_not_open_the_settings(request, client_for, role):
    response = client_for(request.getfixturevalue(role)).get(URL)
    assert response.status_code in (302, 403, 404)
    response = client_for(request.getfixturevalue(role)).post(URL, {"name": "X"})
    assert not BureauProfile.objects.exists()


def test_emails_carry_the_bureau(bureau_admin, settings):
    from django.template.loader import render_to_string

    settings.CQO_BUREAU_COUNTY = "长丰县"
    settings.CQO_BUREAU_NAME = "市场监督管理局"
    text = render_to_string(
        "emails/notification.txt",
        {
            "bureau": profile.current(),
            "site_url": "http://x",
            "user": bureau_admin,
            "notification": None,
        },
    )
    assert "长丰县市场监督管理局" in text
