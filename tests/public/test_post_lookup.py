"""The public lookup shows the other posts an enterprise has filed (issue 19): the post, the
holder's name and position — what it shows for the CQO, nothing more; posts not filed or
ended do not show, and another enterprise's holders never show on this one's row."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AppointmentFactory, EnterpriseFactory, PersonFactory

URL = reverse("public:lookup")

pytestmark = pytest.mark.django_db


def test_posts_held_show_with_name_and_position_only(client_for, county, home_town):
    enterprise = county.home_enterprise
    enterprise.licence_food_production = True
    enterprise.save()
    director = AppointmentFactory(
        enterprise=enterprise,
        post_id="food_director",
        position="食品安全总监",
        person=PersonFactory(name="钱总监"),
    )
    AppointmentFactory(
        enterprise=enterprise,
        post_id="food_officer",
        position="食品安全员",
        person=PersonFactory(name="孙安全"),
    )
    AppointmentFactory(  # left: not shown
        enterprise=enterprise,
        post_id="food_officer",
        position="食品安全员",
        person=PersonFactory(name="周离任"),
        ended_on=timezone.localdate() - timedelta(days=3),
        end_reason="left",
    )
    AppointmentFactory(  # filed nowhere yet: not shown
        enterprise=enterprise,
        post_id="food_officer",
        position="食品安全员",
        person=PersonFactory(name="吴待审"),
        filed_on=None,
    )
    other = EnterpriseFactory(town=home_town, name="城关另一食品厂")
    AppointmentFactory(
        enterprise=other,
        post_id="food_officer",
        position="食品安全员",
        person=PersonFactory(name="郑外人"),
    )

    response = client_for(None).get(URL, {"q": enterprise.uscc})
    html = response.content.decode()
    assert "食品安全总监：钱总监（食品安全总监）" in html
    assert "食品安全员：孙安全（食品安全员）" in html
    for absent in ("周离任", "吴待审", "郑外人"):
        assert absent not in html
    person = director.person
    for secret in (person.id_number, person.masked_id_number, person.mobile, person.masked_mobile):
        assert secret not in html
    # The CQO's answer is as it was.
    assert county.home_appointment.person.name in html


def test_deregistered_enterprise_shows_no_posts(client_for, home_town):
    enterprise = EnterpriseFactory(
        town=home_town, deregistered_on=timezone.localdate() - timedelta(days=1)
    )
    AppointmentFactory(
        enterprise=enterprise, post_id="food_officer", person=PersonFactory(name="冯旧人")
    )
    html = client_for(None).get(URL, {"q": enterprise.uscc}).content.decode()
    assert "已注销" in html and "冯旧人" not in html
