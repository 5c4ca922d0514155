"""The form pages' shared step (``cqo_registry.pages``): a service's refusal goes on the form,
next to the field it names; a success is flashed and redirected to."""

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from cqo_registry.pages import add_validation_error, run_action, run_form_action


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
