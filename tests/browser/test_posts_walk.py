"""Filing per post in a real browser (issue 19, "done when"): an enterprise with a food
licence (and a special-equipment one) and a filed CQO sees its board of posts, files its
食品安全总监 and two 食品安全员 from the board, the reviewer finds them in the queue by post
and approves them, the enterprise's board shows the posts filled, and the town officer finds
the enterprise among the vacancies of a post still vacant (特种设备安全员) and not among the
food posts'. Screenshots go to test-artifacts/posts-walk/."""

import re
import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from enterprises.models import Enterprise
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_filing_walk import Walk
from tests.factories import (
    DEFAULT_PASSWORD,
    AppointmentFactory,
    EnterpriseFactory,
    FilingFactory,
    TownFactory,
    UserFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHOTS = ARTIFACTS / "posts-walk"
DIRECTOR = {"name": "钱总监", "id_number": make_id_number(7101), "mobile": "13955507101"}
OFFICERS = [
    {"name": "孙安全", "id_number": make_id_number(7102), "mobile": "13955507102"},
    {"name": "李食安", "id_number": make_id_number(7103), "mobile": "13955507103"},
]


@pytest.fixture
def shots():
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    return SHOTS


@pytest.fixture
def letter(tmp_path, settings):
    from weasyprint import HTML

    settings.MEDIA_ROOT = tmp_path / "private"
    path = tmp_path / "聘任书.pdf"
    HTML(string="<html><body><h1>聘任书</h1></body></html>").write_pdf(str(path))
    return path


def fill_post_form(page, person, *, position, appointed_on, letter, senior=False):
    """A post's form: the person, the position, the senior-manager box only when asked
    (no departments, no principal: those are the CQO's)."""
    form = page.locator("#filing-form")
    assert form.locator("[name=departments]").count() == 0
    form.locator("[name=person_name]").fill(person["name"])
    form.locator("[name=id_number]").fill(person["id_number"])
    form.locator("[name=mobile]").fill(person["mobile"])
    form.locator("[name=position]").fill(position)
    if senior:
        form.locator("[name=is_senior_manager]").check()
    form.locator("[name=appointed_on]").fill(appointed_on.isoformat())
    form.locator("[name=letter]").set_input_files(str(letter))


def test_food_posts_filed_reviewed_and_the_remaining_vacancy(
    new_page, live_server, settings, shots, letter
):
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    today = timezone.localdate()
    town = TownFactory(name="城关镇", code="340121100000")
    enterprise = EnterpriseFactory(
        town=town,
        name="城关放心食品有限公司",
        licence_food_production=True,
        licence_special_equipment=True,
    )
    Enterprise.objects.filter(pk=enterprise.pk).update(
        created_at=timezone.now() - timedelta(days=3 * 365)
    )
    FilingFactory(appointment=AppointmentFactory(enterprise=enterprise))  # its CQO, filed
    UserFactory(username="food_user", enterprise_user=True, enterprise=enterprise)
    UserFactory(username="reviewer", reviewer=True)
    UserFactory(username="town_officer", town_officer=True, town=town)
    walk = Walk(live_server.url, shots)
    appointed_on = today - timedelta(days=4)

    # --- 1. The enterprise's board: the CQO filed, the food and equipment posts vacant -------
    ent = new_page()
    walk.log_in(ent, "food_user", DEFAULT_PASSWORD, "/portal/")
    board = ent.locator("#post-board")
    expect(board.locator("tr[data-post='cqo']")).to_have_attribute("data-state", "filled")
    for code in ("food_director", "food_officer", "special_equipment_officer"):
        expect(board.locator(f"tr[data-post='{code}']")).to_have_attribute("data-state", "vacant")
    walk.shot(ent, "portal-board-vacant")

    # --- 2. Its 食品安全总监 (senior manager) and two 食品安全员, from the board ---------------
    board.locator("tr[data-post='food_director'] .appoint-link").click()
    ent.wait_for_url(walk.url("/portal/filings/new/?post=food_director"))
    expect(ent.locator("#post-heading")).to_have_text("食品安全总监聘任备案")
    fill_post_form(
        ent,
        DIRECTOR,
        position="食品安全总监",
        appointed_on=appointed_on,
        letter=letter,
        senior=True,
    )
    walk.shot(ent, "portal-director-form")
    walk.submit_filing(ent, "filing-form")
    expect(ent.locator("#filing-post")).to_have_text("食品安全总监")

    for person in OFFICERS:
        walk.portal_home(ent)
        ent.locator("#post-board tr[data-post='food_officer'] .appoint-link").click()
        ent.wait_for_url(walk.url("/portal/filings/new/?post=food_officer"))
        fill_post_form(ent, person, position="食品安全员", appointed_on=appointed_on, letter=letter)
        walk.submit_filing(ent, "filing-form")

    walk.portal_home(ent)
    expect(board.locator("tr[data-post='food_director']")).to_have_attribute(
        "data-state", "under_review"
    )
    expect(board.locator("tr[data-post='food_officer']")).to_have_attribute(
        "data-state", "under_review"
    )
    walk.shot(ent, "portal-board-under-review")

    # --- 3. The reviewer: the queue by post, then approve each ------------------------------
    rev = new_page()
    walk.log_in(rev, "reviewer", DEFAULT_PASSWORD, "/review/")
    expect(rev.locator("#queue tbody tr")).to_have_count(3)
    rev.locator("#queue-filter [name=post]").select_option(label="食品安全员")
    walk.submit(rev, rev.locator("#queue-filter button[type=submit]"))
    rows = rev.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td.post")).to_have_text("食品安全员")
    walk.shot(rev, "review-queue-food-officers")
    numbers = []
    for _ in range(3):
        walk.nav(rev, "备案审核", "/review/")
        rev.locator("#queue tbody tr").first.get_by_role("link", name=enterprise.name).click()
        rev.wait_for_url(re.compile(r"/review/filings/\d+/$"))
        expect(rev.locator("#filing-post")).to_contain_text("食品安全")
        if not numbers:
            walk.shot(rev, "review-filing-names-the-post")
        numbers.append(walk.approve(rev))
    assert numbers == [f"质备〔{today.year}〕{n:04d}号" for n in (1, 2, 3)]
    walk.nav(rev, "备案审核", "/review/")
    expect(rev.locator("#queue-empty")).to_be_visible()

    # --- 4. The enterprise's board: both food posts filled, two officers -------------------
    walk.portal_home(ent)
    director_row = board.locator("tr[data-post='food_director']")
    officer_row = board.locator("tr[data-post='food_officer']")
    expect(director_row).to_have_attribute("data-state", "filled")
    expect(director_row).to_contain_text(DIRECTOR["name"])
    expect(officer_row).to_have_attribute("data-state", "filled")
    for person in OFFICERS:
        expect(officer_row).to_contain_text(person["name"])
    expect(officer_row.locator(".dismiss-link")).to_have_count(2)
    expect(board.locator("tr[data-post='special_equipment_officer']")).to_have_attribute(
        "data-state", "vacant"
    )
    walk.shot(ent, "portal-board-filled")

    # --- 5. The town officer: the food posts are no vacancy, the equipment post is ---------
    officer = new_page()
    walk.log_in(officer, "town_officer", DEFAULT_PASSWORD, "/town/")
    walk.nav(officer, "空缺企业", "/town/vacancies/")
    expect(officer.locator(f"#vacancies tr[data-enterprise='{enterprise.pk}']")).to_have_count(0)
    for label, listed in (("食品安全员", 0), ("食品安全总监", 0), ("特种设备安全员", 1)):
        officer.locator("#vacancy-filter [name=post]").select_option(label=label)
        walk.submit(officer, officer.locator("#vacancy-filter button[type=submit]"))
        expect(officer.locator("#vacancies-heading")).to_contain_text(label)
        rows = officer.locator(f"#vacancies tr[data-enterprise='{enterprise.pk}']")
        expect(rows).to_have_count(listed)
    expect(rows).to_contain_text(enterprise.name)
    walk.shot(officer, "town-vacancies-special-equipment")
    rows.get_by_role("link", name=enterprise.name).click()
    officer.wait_for_url(re.compile(rf"/town/vacancies/{enterprise.pk}/\?post="))
    expect(officer.locator("#post-board tr[data-post='food_officer']")).to_have_attribute(
        "data-state", "filled"
    )
    walk.shot(officer, "town-vacancy-board")
