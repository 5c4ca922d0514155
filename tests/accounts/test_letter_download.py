"""Appointment letters are private files (SPEC §1, §7): served only by a permission-checked
view, to users whose scope holds the enterprise; never from the static tree."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def letter(media_root, home_appointment):
    home_appointment.letter = SimpleUploadedFile(
        "张三聘任书.pdf", PDF, content_type="application/pdf"
    )
    home_appointment.save()
    return home_appointment


def url_of(appointment) -> str:
    return reverse("appointments:letter_download", args=[appointment.pk])


def body_of(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer", "town_officer", "enterprise_user"])
def test_user_in_scope_downloads_the_letter(request, client_for, letter, role):
    user = request.getfixturevalue(role)

    response = client_for(user).get(url_of(letter))

    assert response.status_code == 200
    assert body_of(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_leader_sees_no_letter(client_for, letter, leader):
    # Leaders read dashboards and reports, not appointment letters (PIPL minimum necessary).
    assert client_for(leader).get(url_of(letter)).status_code == 403


@pytest.mark.parametrize(
    "role", ["outsider_enterprise_user", "outsider_town_officer", "no_role_user"]
)
def test_outsider_gets_404(request, client_for, letter, role):
    user = request.getfixturevalue(role)

    response = client_for(user).get(url_of(letter))

    assert response.status_code == 404


def test_inactive_enterprise_user_gets_no_letter(client_for, letter, enterprise_user):
    client = client_for(enterprise_user)
    enterprise_user.is_active = False
    enterprise_user.save()

    response = client.get(url_of(letter))

    # Deactivation ends the session at the next request: the user is anonymous again.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_is_sent_to_login(client_for, letter):
    response = client_for(None).get(url_of(letter))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url_of(letter)}"


def test_unknown_appointment_gets_404(client_for, bureau_admin, media_root):
    response = client_for(bureau_admin).get(reverse("appointments:letter_download", args=[999999]))
    assert response.status_code == 404


def test_appointment_without_letter_gets_404(client_for, bureau_admin, home_appointment):
    response = client_for(bureau_admin).get(url_of(home_appointment))
    assert response.status_code == 404


def test_stored_name_is_random_and_under_media_root(letter, media_root):
    path = Path(letter.letter.path).resolve()
    assert path.is_relative_to(Path(media_root).resolve())
    assert "张三" not in letter.letter.name
    assert path.read_bytes() == PDF


def test_private_files_are_outside_the_static_tree():
    # The real settings, not the test override: uploads never land where collectstatic or
    # whitenoise would publish them.
    media_root = Path(django_settings.MEDIA_ROOT).resolve()
    static_dirs = [Path(django_settings.STATIC_ROOT), *map(Path, django_settings.STATICFILES_DIRS)]
    for static_dir in static_dirs:
        static_dir = static_dir.resolve()
        assert not media_root.is_relative_to(static_dir)
        assert not static_dir.is_relative_to(media_root)
    assert not django_settings.MEDIA_URL.startswith(django_settings.STATIC_URL)


def test_letter_has_no_public_url(client_for, bureau_admin, letter):
    client = client_for(bureau_admin)
    for url in (
        f"{django_settings.MEDIA_URL}{letter.letter.name}",
        f"{django_settings.STATIC_URL}{letter.letter.name}",
        f"/{letter.letter.name}",
    ):
        assert client.get(url).status_code == 404, url
