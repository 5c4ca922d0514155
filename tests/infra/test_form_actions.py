"""The form pages' shared step (``cqo_registry.pages``): a service's refusal goes on the form,
next to the field it names; a success is flashed and redirected to. ``form_page`` is shown
through real pages: the training session form (a page that answers a refused form with 200)
and the team invitation (400)."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from cqo_registry.accounts.models import User
from cqo_registry.pages import add_validation_error, run_action, run_form_action
from tests.factories import TrainingAttendanceFactory, TrainingSessionFactory, UserFactory


class NameForm(forms.Form):
    name = forms.CharField()


def _request():
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _valid_form():
    form = NameForm({"name": "张三"})
    assert form.is_valid()
    return form


def test_a_refusal_naming_a_field_goes_next_to_it_and_the_others_above_the_form():
    form = _valid_form()
    add_validation_error(
        form, ValidationError({"name": "姓名重复。", "enterprise": "企业已注销。"})
    )
    assert form.errors["name"] == ["姓名重复。"]
    assert form.non_field_errors() == ["企业已注销。"]


def test_a_plain_refusal_is_a_non_field_error():
    form = _valid_form()
    add_validation_error(form, ValidationError(["一", "二"]))
    assert form.non_field_errors() == ["一", "二"]


def test_a_refused_action_returns_none_and_flashes_nothing():
    request, form = _request(), _valid_form()

    def refuse():
        raise ValidationError("不能保存。")

    assert run_form_action(request, form, refuse, success_message="好", redirect_to="/x/") is None
    assert form.non_field_errors() == ["不能保存。"]
    assert list(get_messages(request)) == []


def test_a_done_action_flashes_and_redirects_with_what_it_returned():
    request, form = _request(), _valid_form()
    response = run_form_action(
        request,
        form,
        lambda: 7,
        success_message=lambda n: f"第 {n} 条",
        redirect_to=lambda n: f"/rows/{n}/",
    )
    assert response.status_code == 302 and response.url == "/rows/7/"
    assert [str(m) for m in get_messages(request)] == ["第 7 条"]


def test_a_confirmation_step_redirects_either_way_with_its_message():
    request = _request()

    def refuse():
        raise ValidationError(["状态不对。", "请刷新。"])

    response = run_action(request, refuse, success_message="好", redirect_to="/back/")
    assert response.url == "/back/"
    done = run_action(request, lambda: None, success_message="好", redirect_to="/back/")
    assert done.url == "/back/"
    assert [(m.level_tag, str(m)) for m in get_messages(request)] == [
        ("error", "状态不对。 请刷新。"),
        ("success", "好"),
    ]


# --- form_page, through real pages ------------------------------------------------------------


def _session_fields(session, **changes) -> dict:
    fields = {
        "title": session.title,
        "kind": session.kind,
        "starts_on": session.starts_on.isoformat(),
        "ends_on": session.ends_on.isoformat(),
        "hours": "16",
        "capacity": "",
    }
    return {**fields, **changes}


@pytest.fixture
def session(db):
    return TrainingSessionFactory(title="质量管理体系培训")


def test_get_shows_the_form_filled_from_the_row(client_for, reviewer, session):
    response = client_for(reviewer).get(reverse("training:session_edit", args=[session.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert not form.is_bound and form.instance == session
    assert 'value="质量管理体系培训"' in response.content.decode()


def test_an_invalid_post_keeps_what_was_typed_and_says_why(client_for, reviewer, session):
    url = reverse("training:session_edit", args=[session.pk])
    response = client_for(reviewer).post(
        url, _session_fields(session, title="改过的名称", ends_on="2000-01-01")
    )
    assert response.status_code == 200  # this page has always answered a refusal with 200
    page = response.content.decode()
    assert 'value="改过的名称"' in page
    assert "结束日期不能早于开始日期" in page
    session.refresh_from_db()
    assert session.title == "质量管理体系培训"


def test_a_service_refusal_naming_a_field_is_shown_at_that_field(client_for, reviewer, session):
    TrainingAttendanceFactory.create_batch(2, session=session)
    url = reverse("training:session_edit", args=[session.pk])
    response = client_for(reviewer).post(url, _session_fields(session, capacity="1"))
    form = response.context["form"]
    assert form.errors["capacity"] == ["已有 2 人报名，名额不能少于报名人数。"]
    assert form.non_field_errors() == []
    assert 'value="1"' in response.content.decode()
    session.refresh_from_db()
    assert session.capacity is None


def test_a_saved_form_redirects_with_its_message(client_for, reviewer, session):
    url = reverse("training:session_edit", args=[session.pk])
    response = client_for(reviewer).post(url, _session_fields(session, capacity="30"))
    assert response.status_code == 302
    assert response.url == reverse("training:session", args=[session.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已保存培训班信息。"]
    session.refresh_from_db()
    assert session.capacity == 30


def test_outsiders_get_403_or_404_as_before(
    client_for, reviewer, town_officer, enterprise_user, session
):
    url = reverse("training:session_edit", args=[session.pk])
    for user in (town_officer, enterprise_user):
        client = client_for(user)
        assert client.get(url).status_code == 403
        assert client.post(url, _session_fields(session, capacity="30")).status_code == 403
    missing = reverse("training:session_edit", args=[session.pk + 1000])
    assert client_for(reviewer).get(missing).status_code == 404
    session.refresh_from_db()
    assert session.capacity is None


def test_a_refusal_on_a_400_page_is_at_its_field_and_nothing_is_sent(client_for, enterprise_user):
    User.objects.filter(pk=enterprise_user.pk).update(is_enterprise_admin=True)
    UserFactory(
        username="colleague",
        email="same@example.cn",
        enterprise_user=True,
        enterprise=enterprise_user.enterprise,
    )
    response = client_for(enterprise_user).post(
        "/portal/users/invite/", {"email": "same@example.cn", "name": "同名"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["本企业已有使用该邮箱的账号。"]
    assert list(get_messages(response.wsgi_request)) == []
