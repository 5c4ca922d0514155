"""Filing per post from the portal (issue 19): an enterprise with a food licence files its
食品安全总监 (single holder, senior-manager rule) and two 食品安全员 (at least one holder,
no senior-manager rule) from its board, changes and dismisses one holder; the CQO's filing
is untouched. Outsiders: another enterprise's holder, a post the enterprise need not fill,
an unknown post — 404."""

import pytest

from appointments import services
from appointments.models import CQO_POST, Appointment, Filing, FilingKind, FilingStatus
from tests.factories import AppointmentFactory, FilingFactory, make_id_number, pdf_letter
from tests.portal.conftest import filing_data

NEW = "/portal/filings/new/"
CHANGE = "/portal/filings/change/"
DISMISS = "/portal/filings/dismiss/"


@pytest.fixture
def food_enterprise(home_enterprise):
    home_enterprise.licence_food_production = True
    home_enterprise.save()
    return home_enterprise


@pytest.fixture
def client(client_for, enterprise_user, food_enterprise):
    return client_for(enterprise_user)


def post_data(n: int, **overrides):
    """A non-CQO post's form: no departments, no principal."""
    values = {
        "person_name": f"食安{n}",
        "id_number": make_id_number(5000 + n),
        "position": "食品安全管理员",
        "departments": None,
        **overrides,
    }
    data = filing_data(**values)
    data["letter"] = pdf_letter()
    return data


def submit(client, url, data):
    response = client.post(url, {**data, "submit": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def approve_all(reviewer):
    for filing in Filing.objects.filter(status=FilingStatus.SUBMITTED).order_by("pk"):
        services.filing_approve(filing=filing, actor=reviewer)


def test_board_offers_filing_per_post(client):
    html = client.get("/portal/").content.decode()
    assert 'data-post="food_director"' in html and 'data-post="food_officer"' in html
    assert f"{NEW}?post=food_director" in html and f"{NEW}?post=food_officer" in html


def test_post_form_names_the_post_and_drops_the_cqo_fields(client):
    html = client.get(f"{NEW}?post=food_officer").content.decode()
    assert "食品安全员聘任备案" in html
    assert "质量检验" not in html  # the CQO's six departments
    assert 'name="is_principal"' not in html


def test_director_and_two_officers_filed_together_and_approved(client, reviewer):
    submit(client, f"{NEW}?post=food_director", post_data(1, position="食品安全总监"))
    submit(client, f"{NEW}?post=food_officer", post_data(2, is_senior_manager=None))
    submit(client, f"{NEW}?post=food_officer", post_data(3, is_senior_manager=None))
    filings = list(Filing.objects.order_by("pk"))
    assert [f.post_id for f in filings] == ["food_director", "food_officer", "food_officer"]
    assert all(f.status == FilingStatus.SUBMITTED for f in filings)
    html = client.get("/portal/").content.decode()
    assert 'data-post="food_director" data-state="under_review"' in html

    approve_all(reviewer)
    officers = services.current_holders(filings[0].enterprise, "food_officer")
    assert [a.person.name for a in officers] == ["食安2", "食安3"]
    assert services.current_appointment(filings[0].enterprise, "food_director").person.name == (
        "食安1"
    )
    assert services.current_appointment(filings[0].enterprise) is None  # the CQO: untouched
    html = client.get("/portal/").content.decode()
    assert 'data-post="food_officer" data-state="filled"' in html
    assert html.count("dismiss-link") == 3


def test_director_needs_a_senior_manager_officer_does_not(client):
    response = client.post(
        f"{NEW}?post=food_director", {**post_data(1, is_senior_manager=None), "submit": "1"}
    )
    assert response.status_code == 200 and "高层管理人员" in response.content.decode()
    assert not Filing.objects.exists()
    submit(client, f"{NEW}?post=food_officer", post_data(2, is_senior_manager=None))
    assert Filing.objects.get().appointment.is_senior_manager is False


def test_second_director_filing_refused_while_one_is_open(client):
    submit(client, f"{NEW}?post=food_director", post_data(1))
    response = client.get(f"{NEW}?post=food_director")
    assert response.status_code == 302 and response["Location"].startswith("/portal/filings/")
    # The CQO's filing is another post: not refused, and works as before.
    cqo = client.post(NEW, {**filing_data(), "letter": pdf_letter(), "submit": "1"})
    assert cqo.status_code == 302
    assert Filing.objects.filter(post=CQO_POST, status=FilingStatus.SUBMITTED).count() == 1


def test_change_and_dismiss_one_officer(client, reviewer, food_enterprise):
    first = AppointmentFactory(enterprise=food_enterprise, post_id="food_officer")
    second = AppointmentFactory(enterprise=food_enterprise, post_id="food_officer")
    submit(
        client,
        f"{CHANGE}?post=food_officer&holder={first.pk}",
        {**post_data(4, is_senior_manager=None), "end_reason": "left"},
    )
    change = Filing.objects.get()
    assert (change.kind, change.replaces_id, change.post_id) == (
        FilingKind.CHANGE,
        first.pk,
        "food_officer",
    )
    # A second filing for the same holder waits; the other holder can be dismissed meanwhile.
    response = client.post(
        f"{DISMISS}?post=food_officer&holder={first.pk}",
        {"end_date": first.appointed_on.isoformat(), "end_reason": "left", "submit": "1"},
    )
    assert response.status_code == 200 and "未办结" in response.content.decode()
    submit(
        client,
        f"{DISMISS}?post=food_officer&holder={second.pk}",
        {"end_date": second.appointed_on.isoformat(), "end_reason": "left"},
    )
    approve_all(reviewer)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.ended_on and second.ended_on
    holders = services.current_holders(food_enterprise, "food_officer")
    assert [a.person.name for a in holders] == ["食安4"]


def test_several_holders_need_the_holder_named(client, food_enterprise):
    AppointmentFactory(enterprise=food_enterprise, post_id="food_officer")
    AppointmentFactory(enterprise=food_enterprise, post_id="food_officer")
    assert client.get(f"{DISMISS}?post=food_officer").status_code == 404


@pytest.mark.parametrize("holder", ["abc", "-1", "99999999999999999999", "0"])
def test_nonsense_holder_is_404(client, food_enterprise, holder):
    AppointmentFactory(enterprise=food_enterprise, post_id="food_officer")
    assert client.get(f"{CHANGE}?post=food_officer&holder={holder}").status_code == 404


def test_another_enterprises_holder_is_404(client, outsider_enterprise):
    outsider_enterprise.licence_food_production = True
    outsider_enterprise.save()
    theirs = AppointmentFactory(enterprise=outsider_enterprise, post_id="food_officer")
    FilingFactory(appointment=theirs)
    for url in (CHANGE, DISMISS):
        response = client.get(f"{url}?post=food_officer&holder={theirs.pk}")
        assert response.status_code == 404
    assert not Filing.objects.exclude(pk__in=theirs.filings.values("pk")).exists()


def test_post_the_enterprise_need_not_fill_is_404(client):
    # No special-equipment licence: the post is not on its board.
    assert client.get(f"{NEW}?post=special_equipment_director").status_code == 404
    assert client.get(f"{NEW}?post=nonsense").status_code == 404
    response = client.post(f"{NEW}?post=special_equipment_director", post_data(1))
    assert response.status_code == 404 and not Appointment.objects.exists()


def test_other_roles_cannot_file_per_post(client_for, town_officer, reviewer, food_enterprise):
    for user in (town_officer, reviewer):
        assert client_for(user).get(f"{NEW}?post=food_officer").status_code == 403


def test_no_holder_shows_no_current_for_the_post(client):
    response = client.get(f"{DISMISS}?post=food_director")
    assert response.status_code == 200
    assert "没有已备案的在任食品安全总监" in response.content.decode()


def test_returned_post_filing_is_corrected_and_resubmitted(client, reviewer):
    submit(client, f"{NEW}?post=food_officer", post_data(5, is_senior_manager=None))
    filing = Filing.objects.get()
    services.filing_return(filing=filing, reasons="职务填写有误", actor=reviewer)
    edit = client.get(f"/portal/filings/{filing.pk}/edit/").content.decode()
    assert "食品安全员聘任备案" in edit and 'name="departments"' not in edit
    data = post_data(5, is_senior_manager=None, position="食品安全主管")
    data.pop("letter")
    response = client.post(f"/portal/filings/{filing.pk}/edit/", {**data, "submit": "1"})
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED and filing.post_id == "food_officer"
    assert filing.appointment.position == "食品安全主管"
    detail = client.get(f"/portal/filings/{filing.pk}/").content.decode()
    assert 'id="filing-post">食品安全员<' in detail
