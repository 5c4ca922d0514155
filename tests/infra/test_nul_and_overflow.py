"""Links that carry a NUL byte, and admin filters past SQLite's integers, answer without a
server error (issue 8 §3)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    ["industry=%00", "industry__exact=%00", "scale=%00", "q=a%00b", "town=%00"],
)
def test_a_nul_byte_in_an_admin_filter_is_a_400(client_for, bureau_admin, query):
    response = client_for(bureau_admin).get(
        reverse("admin:enterprises_enterprise_changelist") + "?" + query
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url", ["/public/?q=%00", "/review/?q=a%00", "/training/?year=%00", "/imports/?x=%00"]
)
def test_a_nul_byte_anywhere_is_a_400(client_for, bureau_admin, url):
    assert client_for(bureau_admin).get(url).status_code == 400


def test_a_number_past_64_bits_in_an_admin_filter_is_refused_politely(client_for, bureau_admin):
    url = reverse("admin:enterprises_enterprise_changelist") + "?town=99999999999999999999"
    response = client_for(bureau_admin).get(url, follow=True)
    assert response.status_code == 200
