"""The bureau admin's token page (``/bureau/api-tokens/``, issue 18): the provincial
platform's tokens listed, issued (the secret shown once) and revoked, each step in the audit
trail. Bureau admins only (``api.manage_tokens``); others 403, the anonymous the login page."""

import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cqo_registry.accounts.access import permission_required
from cqo_registry.pages import run_action

from . import services
from .forms import ApiTokenIssueForm
from .selectors import api_tokens

admin_only = permission_required("api.manage_tokens")

# The session keeps the forms shown and not yet used (a few: several tabs), never the key.
NONCES = "api_token_forms"
NONCES_KEPT = 10


def _new_nonce(request) -> str:
    nonce = secrets.token_urlsafe(16)
    request.session[NONCES] = [*request.session.get(NONCES, [])[-(NONCES_KEPT - 1) :], nonce]
    return nonce


def _use_nonce(request, nonce: str) -> None:
    request.session[NONCES] = [n for n in request.session.get(NONCES, []) if n != nonce]


@admin_only
@require_GET
def token_list(request):
    return render(request, "api/tokens.html", {"tokens": api_tokens()})


@admin_only
@never_cache
@require_http_methods(["GET", "POST"])
def token_new(request):
    """GET: the form. POST: issue the token and answer with its secret on this response only
    (``Cache-Control: no-store``, stored nowhere): a reload resubmits a form already used,
    which issues nothing and shows nothing, and the list never shows a secret."""
    if request.method == "POST":
        form = ApiTokenIssueForm(request.POST)
        nonce = request.POST.get("once", "")
        if nonce not in request.session.get(NONCES, []):
            messages.warning(
                request,
                _(
                    "该表单已提交过，令牌已签发，密钥不再显示。如未保存密钥，请吊销该令牌后重新签发。"
                ),
            )
            return redirect("api_tokens:list")
        if form.is_valid():
            data = form.cleaned_data
            try:
                token, key = services.api_token_issue(
                    name=data["name"],
                    holder=data["holder"],
                    scopes=data["scopes"],
                    expires_on=data["expires_on"],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                _use_nonce(request, nonce)
                return render(request, "api/token_issued.html", {"token": token, "key": key})
    else:
        form = ApiTokenIssueForm(
            initial={**ApiTokenIssueForm.initial_values(), "once": _new_nonce(request)}
        )
    return render(request, "api/token_new.html", {"form": form})


@admin_only
@require_http_methods(["GET", "POST"])
def token_revoke(request, prefix: str):
    """GET: confirm; POST: revoke, then back to the list."""
    token = get_object_or_404(api_tokens(), prefix=prefix)
    if request.method == "POST":
        return run_action(
            request,
            lambda: services.api_token_revoke(token=token, actor=request.user, request=request),
            success_message=_("已吊销令牌“%(name)s”（%(prefix)s），使用它的调用将被拒绝。")
            % {"name": token.name, "prefix": token.prefix},
            redirect_to="api_tokens:list",
        )
    return render(request, "api/token_revoke_confirm.html", {"token": token})
