"""Workflows of the enterprise self-registration (SPEC §1).

An applicant's account is created inactive and without a role (the database requires an
enterprise for the role ``enterprise``, and the enterprise may not exist yet). A bureau
reviewer then approves — tying the account to the enterprise already in the registry, or
creating the enterprise from the registration first, in one transaction — or rejects it.
Every write is attributed to its actor in the history; errors are ``ValidationError`` with
a message the applicant or reviewer can act on.
"""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from cqo_registry import clock
from cqo_registry.accounts import notifications
from cqo_registry.accounts.models import NotificationKind, Role, User
from cqo_registry.accounts.services import password_set_for_someone
from cqo_registry.workflows import locked, save_validated

from .models import (
    REGISTRATION_FLOW,
    Enterprise,
    EnterpriseRegistration,
    RegistrationStatus,
    Scale,
    Town,
)
from .validators import normalize_uscc, validate_uscc


def enterprise_has_active_account(enterprise) -> bool:
    return User.objects.filter(enterprise=enterprise, role=Role.ENTERPRISE, is_active=True).exists()


def competing_registrations(registration: EnterpriseRegistration):
    """The other registrations of the same USCC still waiting for review (issue 13: a
    pending registration does not block another; the reviewer compares them side by side),
    oldest first."""
    return (
        EnterpriseRegistration.objects.filter(
            uscc=registration.uscc, status=RegistrationStatus.PENDING
        )
        .exclude(pk=registration.pk)
        .select_related("town", "user")
        .order_by("created_at", "pk")
    )


def check_uscc_available(uscc: str) -> Enterprise | None:
    """Validate a (normalised) USCC for a new registration and return the enterprise it
    names, if the registry has it. Refused: an invalid code, an enterprise that already has
    an active account (its enterprise admin invites colleagues; the bureau helps otherwise).
    A registration of the same code waiting for review does not block this one: the reviewer
    sees them side by side and approves the real enterprise's (a squatter cannot hold a code
    by registering it first)."""
    validate_uscc(uscc)
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is not None and enterprise_has_active_account(enterprise):
        raise ValidationError(
            _(
                "该企业已开通账号，不能重复注册。如需新增账号，请联系贵企业的企业管理员邀请；"
                "如需找回账号，请联系县市场监管局。"
            ),
            code="uscc_taken",
        )
    return enterprise


@transaction.atomic
def registration_submit(
    *,
    uscc: str,
    name: str,
    contact_name: str,
    mobile: str,
    email: str,
    username: str,
    password: str,
    town: Town | None = None,
    scale: str = "",
    industry: str = "",
    address: str = "",
    demo_account: bool = False,
) -> EnterpriseRegistration:
    """Create the applicant's inactive account and the registration, and tell the reviewers.
    For a USCC not in the registry, town, scale and industry are required.

    ``demo_account``: the account is a demo account (``seed_demo``'s applicants), which the
    password policy exempts (issue 13: the README's demo password), so ``password`` is not
    checked against it; every other caller leaves it off."""
    uscc = normalize_uscc(uscc)
    enterprise = check_uscc_available(uscc)
    if enterprise is None:
        missing = {
            field: _("该企业尚未录入本县企业名录，请填写此项。")
            for field, value in (("town", town), ("scale", scale), ("industry", industry))
            if not value
        }
        if missing:
            raise ValidationError(missing)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("用户名“%(name)s”已被使用，请换一个。") % {"name": username}}
        )

    user = User(
        username=username,
        email=email,
        mobile=mobile,
        first_name=contact_name[:150],
        is_active=False,
        role="",
        is_demo=demo_account,
    )
    if not demo_account:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password1": error.messages}) from error
    user.set_password(password)
    save_validated(user, None, exclude=["password"])

    registration = EnterpriseRegistration(
        uscc=uscc,
        name=name,
        contact_name=contact_name,
        mobile=mobile,
        email=email,
        user=user,
        enterprise=enterprise,
        # For an enterprise in the registry its own record is authoritative: nothing more
        # is asked, nothing more stored.
        town=None if enterprise else town,
        scale="" if enterprise else scale,
        industry="" if enterprise else industry,
        address="" if enterprise else address,
    )
    registration._history_user = user
    registration.full_clean()
    registration.save()

    notifications.notify(
        users=notifications.reviewers(),
        kind=NotificationKind.OTHER,
        title=_("新的企业注册申请：%(name)s") % {"name": name},
        body=_("统一社会信用代码 %(uscc)s，联系人 %(contact)s。")
        % {"uscc": uscc, "contact": contact_name},
        url=reverse("review:registration", args=[registration.pk]),
    )
    return registration


def _locked_for(registration: EnterpriseRegistration, action: str) -> EnterpriseRegistration:
    registration = locked(registration, "user")
    REGISTRATION_FLOW.require(registration, action)
    return registration


@transaction.atomic
def registration_approve(
    *,
    registration: EnterpriseRegistration,
    actor,
    town: Town | None = None,
    scale: str = "",
    industry: str = "",
    requires_cqo: bool = True,
) -> EnterpriseRegistration:
    """Activate the applicant's account as an enterprise user. For a USCC not in the
    registry the enterprise is created first, with the town, scale and industry the
    reviewer confirmed (defaulting to what the applicant declared) and ``requires_cqo`` as
    the bureau decided (always true for above-scale enterprises)."""
    registration = _locked_for(registration, "approve")
    enterprise = registration.enterprise
    if enterprise is None:
        # The enterprise may have entered the registry (an import) since the application.
        enterprise = Enterprise.objects.filter(uscc=registration.uscc).first()
    if enterprise is None:
        scale = scale or registration.scale
        enterprise = Enterprise(
            uscc=registration.uscc,
            name=registration.name,
            contact_phone=registration.mobile,
            town=town or registration.town,
            address=registration.address,
            industry=industry or registration.industry,
            scale=scale,
            requires_cqo=True if scale == Scale.ABOVE else bool(requires_cqo),
        )
        if enterprise.town_id is None:
            raise ValidationError(_("请为新企业选择所属镇。"), code="town_required")
        save_validated(enterprise, actor)
    elif enterprise_has_active_account(enterprise):
        raise ValidationError(
            _(
                "该企业已有启用的账号（可能已通过另一份注册申请）。请驳回本申请；"
                "如需增加账号，由企业管理员邀请。"
            ),
            code="uscc_taken",
        )

    user = registration.user
    user.role = Role.ENTERPRISE
    user.enterprise = enterprise
    user.is_active = True
    # The enterprise's first account is its enterprise admin (issue 13); the account was
    # opened for the applicant by the approval, so its password is changed at first sign-in.
    user.is_enterprise_admin = not User.objects.filter(
        enterprise=enterprise, is_enterprise_admin=True
    ).exists()
    password_set_for_someone(user)
    save_validated(user, actor, exclude=["password"])

    registration.enterprise = enterprise
    registration.status = REGISTRATION_FLOW.target("approve")
    registration.reviewed_by = actor
    registration.reviewed_at = clock.now()
    registration.reject_reason = ""
    save_validated(registration, actor)

    notifications.notify(
        users=[user],
        kind=NotificationKind.ACCOUNT_ACTIVATED,
        title=_("您的企业账号已激活：%(name)s") % {"name": enterprise.name},
        body=_("您现在可以登录（用户名 %(username)s），为企业办理首席质量官聘任备案。")
        % {"username": user.username},
        url=reverse("portal:home"),
    )
    return registration


@transaction.atomic
def registration_reject(
    *, registration: EnterpriseRegistration, reason: str, actor
) -> EnterpriseRegistration:
    """Refuse a registration with a reason the applicant is told. The account stays
    inactive; the USCC is free for a new application."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写不通过原因。"), code="reason_required")
    registration = _locked_for(registration, "reject")
    registration.status = REGISTRATION_FLOW.target("reject")
    registration.reject_reason = reason
    registration.reviewed_by = actor
    registration.reviewed_at = clock.now()
    save_validated(registration, actor)
    # The applicant cannot sign in yet, so the email is what reaches them.
    notifications.notify(
        users=[registration.user],
        kind=NotificationKind.OTHER,
        title=_("您的企业注册申请未通过：%(name)s") % {"name": registration.name},
        body=reason,
    )
    return registration


@transaction.atomic
def enterprise_complete(*, enterprise: Enterprise, town: Town, industry: str, actor) -> Enterprise:
    """Complete an enterprise 待完善 (issue 17 §1: brought in by the above-scale
    reconciliation without a town or an industry section) with both; it then appears in its
    town's lists and figures and in its section's. Refused for an enterprise that is complete
    (its town and section are changed in the back office, with the other records)."""
    enterprise = Enterprise.objects.select_for_update(of=("self",)).get(pk=enterprise.pk)
    if not enterprise.needs_completion:
        raise ValidationError(
            _("该企业的所属镇和行业门类已填写，如需修改请在后台管理中编辑。"),
            code="complete",
        )
    enterprise.town = town
    enterprise.industry = industry
    enterprise._change_reason = _("补填所属镇和行业门类（规上名录比对新增企业）")
    save_validated(enterprise, actor)
    return enterprise
