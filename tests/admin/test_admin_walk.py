"""The back office opens for each bureau role the way its model permissions say: the admin
index lists the apps the role may use, every app index opens, every changelist it lists
opens — and in Chinese the names on those pages are Chinese (issue 12, "The reviewer's
后台管理 is a dead end")."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from cqo_registry.accounts.backends import RoleModulePermissionBackend
from tests.pagetext import CJK

pytestmark = pytest.mark.django_db


def hrefs(html: str, pattern: str) -> set[str]:
    return set(re.findall(rf'href="({pattern})"', html))


@pytest.mark.parametrize("role", ["bureau_admin", "reviewer"])
def test_every_app_and_changelist_of_the_admin_opens_for_a_bureau_role(request, client_for, role):
    user = request.getfixturevalue(role)
    client = client_for(user)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    html = index.content.decode()
    assert "你没有查看或编辑的权限" not in html
    apps = hrefs(html, r"/admin/[a-z_]+/")
    changelists = hrefs(html, r"/admin/[a-z_]+/[a-z_]+/")
    assert "/admin/enterprises/" in apps
    assert "/admin/enterprises/enterprise/" in changelists
    for app in sorted(apps):
        response = client.get(app)
        assert response.status_code == 200, app
        changelists |= hrefs(response.content.decode(), app + r"[a-z_]+/")
    for changelist in sorted(changelists):
        response = client.get(changelist)
        assert response.status_code == 200, changelist
        headers = re.findall(
            r'<th scope="col"[^>]*>.*?<a [^>]*>([^<]+)</a>', response.content.decode(), re.S
        )
        english = [h for h in headers if h.strip() and not CJK.search(h)]
        assert english == [], (changelist, english)


def test_a_reviewer_sees_the_registry_apps_but_not_user_management(client_for, reviewer):
    html = client_for(reviewer).get(reverse("admin:index")).content.decode()
    assert "/admin/enterprises/" in html
    assert "/admin/appointments/" in html
    assert "/admin/accounts/user/" not in html
    assert client_for(reviewer).get("/admin/accounts/").status_code == 404


@pytest.mark.parametrize("role", ["leader", "town_officer", "enterprise_user", "no_role_user"])
def test_other_roles_hold_no_module_permission_and_do_not_get_in(request, client_for, role):
    user = request.getfixturevalue(role)
    for app_label in {model._meta.app_label for model in admin.site._registry}:
        assert not RoleModulePermissionBackend().has_module_perms(user, app_label)
    response = client_for(user).get("/admin/enterprises/")
    assert response.status_code in (302, 403, 404)


def test_axes_records_are_named_in_chinese(client_for, bureau_admin):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="someone",
        ip_address="10.0.0.1",
        user_agent="x",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=3,
    )
    bureau_admin.is_superuser = True
    bureau_admin.save()
    html = client_for(bureau_admin).get("/admin/axes/accessattempt/").content.decode()
    assert "登录失败记录" in html
    assert "IP 地址" in html
    assert "Access Attempt" not in html
