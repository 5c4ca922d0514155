"""The navbar on a 1280 px laptop (and the 1200 px edge where it stops folding into the menu
button): the bureau's many links wrap onto a second line instead of pushing the account
controls and 退出登录 off the screen, which made the whole page scroll sideways. On a phone,
a wide table scrolls inside its own box instead of widening the page. Screenshots go to
test-artifacts/ for a person to look at."""

import pytest
from django.utils import timezone

from tests.factories import (
    DEFAULT_PASSWORD,
    ConfirmationRoundFactory,
    TownFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("width", [1200, 1280])
@pytest.mark.parametrize("role", ["bureau_admin", "reviewer"])
def test_the_bureau_navbar_fits_a_narrow_laptop(new_page, live_server, artifacts, role, width):
    UserFactory(username="narrow", **{role: True})
    tab = new_page(viewport={"width": width, "height": 800})
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", "narrow")
    tab.fill("#id_password", DEFAULT_PASSWORD)
    tab.click("#login-form [type=submit]")
    tab.wait_for_load_state()

    tab.screenshot(path=str(artifacts / f"narrow-navbar-{role}-{width}.png"))
    assert tab.evaluate(OVERFLOW) == 0
    sign_out = tab.locator("#nav form[action$='/logout/'] button").bounding_box()
    assert sign_out["x"] + sign_out["width"] <= width


def test_a_town_officer_reads_the_confirmation_rounds_on_a_phone_in_english(
    new_page, live_server, artifacts
):
    UserFactory(username="officer", town_officer=True, town=TownFactory())
    bureau = UserFactory(username="局系统管理员", bureau_admin=True)
    ConfirmationRoundFactory(opened_by=bureau)
    ConfirmationRoundFactory(opened_by=bureau, closed_at=timezone.now(), closed_by=bureau)
    tab = new_page(phone=True)
    tab.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.fill("#id_username", "officer")
    tab.fill("#id_password", DEFAULT_PASSWORD)
    tab.click("#login-form [type=submit]")
    tab.wait_for_load_state()
    tab.goto(f"{live_server.url}/confirmations/")

    tab.screenshot(path=str(artifacts / "phone-confirmation-rounds-en.png"), full_page=True)
    assert tab.locator("#rounds tbody tr").count() == 2
    assert tab.evaluate(OVERFLOW) == 0
