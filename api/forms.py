"""The bureau admin's token form (issue 18): field types only; the rules (scopes that go
together, how long a token may live) are ``services.api_token_issue``'s."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Scope
from .services import HOLDER_MAX_LENGTH, NAME_MAX_LENGTH

DEFAULT_VALIDITY_DAYS = 365


class ApiTokenIssueForm(forms.Form):
    name = forms.CharField(
        label=_("令牌名称"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("说明用途，例如“省平台增量同步”。"),
    )
    holder = forms.CharField(
        label=_("持有单位"),
        max_length=HOLDER_MAX_LENGTH,
        help_text=_("使用该令牌的单位，例如“省市场监管局”。"),
    )
    scopes = forms.MultipleChoiceField(
        label=_("权限范围"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("persons:read-full 须与 registry:read 同时选择。"),
    )
    expires_on = forms.DateField(
        label=_("有效期至"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("含当日，最长三年；到期后令牌自动失效。"),
    )
    # One issue per form shown: a browser's "resubmit" of the page that showed a key
    # must not issue a second token (views_tokens.token_new).
    once = forms.CharField(widget=forms.HiddenInput)

    @classmethod
    def initial_values(cls) -> dict:
        return {"expires_on": timezone.localdate() + timedelta(days=DEFAULT_VALIDITY_DAYS)}
