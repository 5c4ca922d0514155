"""The error pages: in the site's layout, Chinese by default and English on request, with a
way back; an ordinary 403 logs one line, no traceback (issue 12, "Error pages")."""

import logging

import pytest
from django.conf import settings
from django.test import Client

from cqo_registry import errors

pytestmark = pytest.mark.django_db


def test_404_is_chinese_in_the_site_layout_with_a_way_back(client_for, reviewer):
    response = client_for(reviewer).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in html
    assert 'class="navbar' in html  # the site's own layout
    assert 'href="/"' in html and "返回首页" in html
    assert "Not Found" not in html


def test_404_in_english_when_english_is_chosen():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/no-such-page/").content.decode()
    assert "Page not found" in html
    assert "页面不存在" not in html


def test_403_is_chinese_and_logs_no_traceback(client_for, enterprise_user, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_for(enterprise_user).get("/review/")
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()
    forbidden = [r for r in caplog.records if getattr(r, "status_code", None) == 403]
    assert forbidden
    handler = logging.getLogger("django.request").filters
    assert any(isinstance(f, errors.OrdinaryForbiddenFilter) for f in handler)
    for record in forbidden:
        assert errors.OrdinaryForbiddenFilter().filter(record)
        assert record.exc_info is None


def test_500_page_renders_without_a_request_context_and_says_so_in_chinese(rf):
    from cqo_registry import urls

    assert urls.handler500 == "cqo_registry.errors.server_error"
    response = errors.server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统出错" in html
    assert "返回首页" in html


def test_400_is_chinese_in_the_site_layout(client_for, reviewer):
    """A NUL byte in the address is refused with the site's own 400 page, not Django's bare
    English one; English when English is chosen."""
    from cqo_registry import urls

    assert urls.handler400 == "cqo_registry.errors.bad_request"
    response = client_for(reviewer).get("/review/?q=a%00")
    html = response.content.decode()
    assert response.status_code == 400
    assert "请求有误" in html and "返回首页" in html
    assert 'class="navbar' in html
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/public/?q=%00")
    assert english.status_code == 400
    assert "请求有误" not in english.content.decode()
