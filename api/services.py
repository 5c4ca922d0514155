"""Writes of the API app (issue 18): issuing and revoking the provincial platform's tokens
(the bureau admin's token page), and the audit row of each API call (issue 14 §1's trail)."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cqo_registry import clock
from cqo_registry.audit.models import AuditAction
from cqo_registry.audit.services import audit_record

from .auth import reads_full_personal_data, token_of
from .models import ApiToken, Scope

# A token lives at most this long: a key handed to another system is renewed, not kept forever.
MAX_VALIDITY_DAYS = 3 * 366
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
HOLDER_MAX_LENGTH = ApiToken._meta.get_field("holder").max_length


def audit_api_call(request, response, *, scope: str):
    """One ``api_call`` row per call, refused ones included: the token (``api:<prefix>``, or
    no name for a call without a valid token), the path with its query, the status, the scope
    the endpoint needs and whether ID numbers and mobiles were shown in full."""
    token = token_of(request)
    detail = {"status": response.status_code, "scope": str(scope)}
    if token is not None:
        detail["token"] = token.name[:100]
        detail["full_personal_data"] = reads_full_personal_data(request)
    return audit_record(
        request._request,
        AuditAction.API_CALL,
        user=None,
        username=token.audit_name if token is not None else "",
        detail=detail,
    )


def expiry_after(last_day: date) -> datetime:
    """The moment a token valid through ``last_day`` (a local date, included) expires: the
    start of the next day in the site's time zone (Asia/Shanghai), aware."""
    return datetime.combine(
        last_day + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )


def _token_problems(*, name: str, holder: str, scopes: list[str], expires_on, today: date):
    problems = {}
    if not name.strip():
        problems["name"] = _("请填写令牌名称。")
    elif len(name) > NAME_MAX_LENGTH:
        problems["name"] = _("令牌名称不超过 %(n)d 个字。") % {"n": NAME_MAX_LENGTH}
    if not holder.strip():
        problems["holder"] = _("请填写持有单位。")
    elif len(holder) > HOLDER_MAX_LENGTH:
        problems["holder"] = _("持有单位不超过 %(n)d 个字。") % {"n": HOLDER_MAX_LENGTH}
    unknown = set(scopes) - set(Scope.values)
    if not scopes:
        problems["scopes"] = _("请至少选择一个权限范围。")
    elif unknown:
        problems["scopes"] = _("未知的权限范围：%(s)s。") % {"s": "、".join(sorted(unknown))}
    elif Scope.PERSONS_READ_FULL in scopes and Scope.REGISTRY_READ not in scopes:
        problems["scopes"] = _(
            "persons:read-full 只放开 registry:read 已能读取的证件号和手机号，"
            "须同时选择 registry:read。"
        )
    if expires_on is None:
        problems["expires_on"] = _("请填写有效期。")
    elif expires_on < today:
        problems["expires_on"] = _("有效期不能早于今天。")
    elif expires_on > today + timedelta(days=MAX_VALIDITY_DAYS):
        problems["expires_on"] = _("有效期最长三年。")
    return problems


@transaction.atomic
def api_token_issue(
    *,
    name: str,
    holder: str,
    scopes: list[str],
    expires_on: date,
    actor,
    request=None,
) -> tuple[ApiToken, str]:
    """Issue a token to ``holder`` (the platform's organisation) named ``name``, with
    ``scopes`` (``Scope`` values; ``persons:read-full`` only with ``registry:read``), valid
    through the local date ``expires_on`` (today at the earliest, three years at most).

    Returns ``(token, key)``: ``key`` is the secret, ``<prefix>.<32 characters>``, which the
    registry does not keep (only its prefix and hash) — the caller shows it once. One
    ``api_token_issued`` audit row names the token by its prefix, ``actor`` and the request's
    address. Raises ``ValidationError`` (a dict by field) and writes nothing on bad input.
    Issue 18: "tokens are issued and revoked by the bureau admin, each with scopes"."""
    today = clock.localdate()
    scopes = [str(scope) for scope in scopes]
    problems = _token_problems(
        name=name, holder=holder, scopes=scopes, expires_on=expires_on, today=today
    )
    if problems:
        raise ValidationError(problems)
    ordered = [scope for scope in Scope.values if scope in scopes]
    token, key = ApiToken.objects.create_key(
        name=name.strip(),
        holder=holder.strip(),
        scopes=ordered,
        expiry_date=expiry_after(expires_on),
    )
    audit_record(
        request,
        AuditAction.API_TOKEN_ISSUED,
        obj=token,
        object_id=token.prefix,
        user=actor,
        detail={
            "token": token.audit_name,
            "holder": token.holder,
            "scopes": ordered,
            "expires_on": expires_on.isoformat(),
        },
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor, request=None) -> ApiToken:
    """Revoke ``token``: from now on the API answers its key 401. The row stays (the audit
    trail names its calls by its prefix); a revoked token cannot be reinstated. One
    ``api_token_revoked`` audit row. Raises ``ValidationError`` when it is already revoked.
    Issue 18: tokens are revoked by the bureau admin."""
    locked = ApiToken.objects.select_for_update(of=("self",)).get(pk=token.pk)
    if locked.revoked:
        raise ValidationError(_("令牌“%(name)s”已吊销。") % {"name": locked.name})
    locked.revoked = True
    locked.save(update_fields=["revoked"])
    audit_record(
        request,
        AuditAction.API_TOKEN_REVOKED,
        obj=locked,
        object_id=locked.prefix,
        user=actor,
        detail={"token": locked.audit_name, "holder": locked.holder},
    )
    token.revoked = True
    return locked
