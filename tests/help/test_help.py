"""帮助 (issue 12): one page per role at /help/ — the signed-in user's role's steps, what each
status means, the bureau's telephone from its settings; anonymous visitors read the
enterprises' page — linked from every navbar; and the portal's first-time guide for an
enterprise with no CQO and no filing yet, gone once it has a filing."""

import pytest
from django.core.cache import cache

from cqo_registry.bureau.models import BureauProfile
from cqo_registry.bureau.profile import CACHE_KEY
from tests.factories import EnterpriseFactory, FilingFactory, UserFactory

pytestmark = pytest.mark.django_db

HELP = "/help/"


def page(client, url=HELP) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("bureau_admin", "备案审核"),
        ("reviewer", "备案审核"),
        ("leader", "领导账号只读"),
        ("town_officer", "本镇看板"),
        ("outsider_town_officer", "本镇看板"),
        ("enterprise_user", "提交聘任备案"),
        ("no_role_user", "提交聘任备案"),
    ],
)
def test_each_role_reads_its_own_steps(request, client_for, role, expected):
    response = client_for(request.getfixturevalue(role)).get(HELP)
    assert response.context["help_role"] in {"bureau", "leader", "town_officer", "enterprise"}
    html = response.content.decode()
    assert expected in html
    # Every page says what the statuses mean.
    for status in ("待审核", "已退回", "逾期空缺"):
        assert f"<dt>{status}</dt>" in html


def test_roles_do_not_read_each_others_steps(client_for, town_officer, enterprise_user):
    assert "本镇看板" not in page(client_for(enterprise_user))
    assert "提交聘任备案" not in page(client_for(town_officer))


def test_anonymous_reads_the_enterprise_page_and_the_help_link(client_for):
    html = page(client_for(None))
    assert "注册账号" in html and "公开查询" in html
    assert 'href="/help/"' in html


@pytest.mark.parametrize("role", ["reviewer", "leader", "town_officer", "enterprise_user"])
def test_every_navbar_links_help(request, client_for, role):
    assert 'href="/help/"' in page(client_for(request.getfixturevalue(role)))


def test_the_telephone_comes_from_the_bureau_settings(client_for, enterprise_user):
    BureauProfile.objects.create(
        pk=1, name="市场监督管理局", county="长丰县", phone="0551-66661234"
    )
    cache.delete(CACHE_KEY)
    html = page(client_for(enterprise_user))
    contact = html.split('id="help-contact"')[1].split("</p>")[0]
    assert "长丰县市场监督管理局" in contact and "0551-66661234" in contact


def test_help_is_in_english_too(client_for, leader):
    client = client_for(leader)
    client.cookies["django_language"] = "en"
    html = page(client)
    assert "What to do, and in which order" in html
    assert "领导账号只读" not in html


# --- The portal's first-time guide ------------------------------------------------------------


def test_first_time_guide_for_an_enterprise_with_no_cqo_and_no_filing(client_for, home_town):
    user = UserFactory(enterprise_user=True, enterprise=EnterpriseFactory(town=home_town))
    html = page(client_for(user), "/portal/")
    assert 'id="first-time-guide"' in html
    for step in ("填报", "审核", "回执"):
        assert f"<strong>{step}</strong>" in html


def test_the_guide_is_gone_once_the_enterprise_has_a_filing(client_for, home_town):
    enterprise = EnterpriseFactory(town=home_town)
    user = UserFactory(enterprise_user=True, enterprise=enterprise)
    FilingFactory(draft=True, enterprise=enterprise, appointment__enterprise=enterprise)
    assert 'id="first-time-guide"' not in page(client_for(user), "/portal/")


def test_no_guide_for_an_enterprise_with_a_filed_cqo(client_for, enterprise_user, county):
    assert 'id="first-time-guide"' not in page(client_for(enterprise_user), "/portal/")
