"""Links that leave the site (receipt QR codes and URLs, e-mail links) use the address the
request came to; outside a request, ``SITE_URL``, which production requires (issue 12)."""

import pytest
from django.core import mail
from django.test import Client

from cqo_registry import site
from tests.infra.test_deploy_check import documented_environment, manage

pytestmark = pytest.mark.django_db


def test_outside_a_request_the_setting_is_used(settings):
    settings.SITE_URL = "https://cqo.example.gov.cn/"
    assert site.site_url() == "https://cqo.example.gov.cn"


def test_inside_a_request_the_requests_own_address_is_used(settings, rf):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["cqo.county.gov.cn"]
    seen = {}

    def view(request):
        seen["url"] = site.site_url()
        return None

    middleware = site.SiteUrlMiddleware(view)
    middleware(rf.get("/", HTTP_HOST="cqo.county.gov.cn:8443", secure=True))
    assert seen["url"] == "https://cqo.county.gov.cn:8443"
    assert site.site_url() == "http://127.0.0.1:8000"  # and forgotten after the request


def test_password_reset_mail_links_to_the_host_it_was_asked_on(
    settings, reviewer, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["cqo.county.gov.cn"]
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            "/accounts/password/reset/",
            {"email": reviewer.email},
            HTTP_HOST="cqo.county.gov.cn",
        )
    assert mail.outbox, "no reset mail"
    assert "http://cqo.county.gov.cn/" in mail.outbox[-1].body
    assert "127.0.0.1:8000" not in mail.outbox[-1].body


def test_production_refuses_to_start_without_site_url():
    environment = documented_environment()
    environment.pop("SITE_URL")
    environment["DJANGO_SECRET_KEY"] = "x" * 64
    result = manage("check", environment=environment)
    assert result.returncode != 0
    assert "SITE_URL" in result.stdout + result.stderr
