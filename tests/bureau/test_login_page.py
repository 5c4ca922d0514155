"""The login page (issue 12): the bureau's name from its settings, "忘记密码" leading to the
password reset, and the notice to users — the bureau admin's own (bureau settings, 登录页须知)
or, until one is saved, the default one."""

import pytest
from django.urls import reverse

from cqo_registry.bureau import profile
from cqo_registry.bureau.models import BureauProfile

pytestmark = pytest.mark.django_db

NOTICE = "本系统仅限内网使用。\n系统维护时间：每周日 22:00–24:00。"
DEFAULT = "仅限经授权的企业经办人员和监管工作人员使用"


def login_page(client) -> str:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    return response.content.decode()


def test_login_page_has_the_bureau_forgot_password_and_the_default_notice(client_for, settings):
    settings.CQO_BUREAU_NAME = "市场监督管理局"
    settings.CQO_BUREAU_COUNTY = "长丰县"
    html = login_page(client_for(None))
    assert "长丰县市场监督管理局" in html.split('id="login-bureau"')[1].split("</p>")[0]
    assert f'href="{reverse("password_reset")}" id="forgot-password"' in html
    assert client_for(None).get(reverse("password_reset")).status_code == 200
    assert DEFAULT in html


def test_the_bureau_admin_sets_the_notice_and_the_login_page_shows_it(
    client_for, bureau_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bureau_admin).post(
            "/bureau/",
            {"name": "市场监督管理局", "county": "肥西县", "phone": "", "login_notice": NOTICE},
        )
    assert response.status_code == 302
    assert BureauProfile.objects.get().login_notice == NOTICE
    html = login_page(client_for(None))
    assert "本系统仅限内网使用。<br>系统维护时间" in html
    assert DEFAULT not in html
    # The settings form shows it back for editing.
    assert NOTICE.split("\n")[1] in client_for(bureau_admin).get("/bureau/").content.decode()


def test_saving_without_the_notice_brings_back_the_default(
    client_for, bureau_admin, django_capture_on_commit_callbacks
):
    BureauProfile.objects.create(pk=1, name="市场监督管理局", login_notice="旧须知")
    profile.forget()
    assert "旧须知" in login_page(client_for(None))
    with django_capture_on_commit_callbacks(execute=True):
        client_for(bureau_admin).post("/bureau/", {"name": "市场监督管理局", "login_notice": ""})
    html = login_page(client_for(None))
    assert "旧须知" not in html and DEFAULT in html


def test_a_notice_too_long_is_refused_and_nothing_is_lost(client_for, bureau_admin):
    BureauProfile.objects.create(pk=1, name="市场监督管理局", login_notice="旧须知")
    response = client_for(bureau_admin).post(
        "/bureau/", {"name": "市场监督管理局", "login_notice": "字" * 501}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["login_notice"]
    assert BureauProfile.objects.get().login_notice == "旧须知"


def test_the_notice_is_escaped(client_for, bureau_admin):
    BureauProfile.objects.create(pk=1, name="市场监督管理局", login_notice="<script>x()</script>")
    profile.forget()
    html = login_page(client_for(None))
    assert "<script>x()</script>" not in html and "&lt;script&gt;" in html
