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
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cqo_registry.accounts import notifications
from cqo_registry.accounts.models import NotificationKind, Role, User

from .models import (
    Enterprise,
    EnterpriseRegistration,
    RegistrationStatus,
    Scale,
    Town,
)
from .validators import normalize_uscc, validate_uscc


def _save(instance, actor, **kwargs) -> None:
    """Validate and save, attributing the history row to ``actor``."""
    instance._history_user = actor
    instance.full_clean(**kwargs)
    instance.save()


def enterprise_has_active_account(enterprise) -> bool:
    return User.objects.filter(enterprise=enterprise, role=Role.ENTERPRISE, is_active=True).exists()


def registration_pending_for(uscc: str) -> bool:
    return EnterpriseRegistration.objects.filter(
        uscc=uscc, status=RegistrationStatus.PENDING
    ).exists()


def check_uscc_available(uscc: str) -> Enterprise | None:
    """Validate a (normalised) USCC for a new registration and return the enterprise it
    names, if the registry has it. Refused: an invalid code, a code with a registration
    already waiting for review, an enterprise that already has an active account (one
    self-registered account per enterprise; the bureau adds more on request)."""
    validate_uscc(uscc)
    if registration_pending_for(uscc):
        raise ValidationError(
            _(
                "该统一社会信用代码已有一份注册申请正在等待审核，请勿重复提交；如有疑问请联系县市场监管局。"
            ),
            code="registration_pending",
        )
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    if enterprise is not None and enterprise_has_active_account(enterprise):
        raise ValidationError(
            _("该企业已开通账号，不能重复注册。如需新增账号或找回账号，请联系县市场监管局。"),
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
) -> EnterpriseRegistration:
    """Create the applicant's inactive account and the registration, and tell the reviewers.
    For a USCC not in the registry, town, scale and industry are required."""
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
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    user.set_password(password)
    _save(user, None, exclude=["password"])

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
    registration.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as error:  # a concurrent registration of the same USCC won
        raise ValidationError(
            _("该统一社会信用代码已有一份注册申请正在等待审核，请勿重复提交。"),
            code="registration_pending",
        ) from error

    notifications.notify(
        users=notifications.reviewers(),
        kind=NotificationKind.OTHER,
        title=_("新的企业注册申请：%(name)s") % {"name": name},
        body=_("统一社会信用代码 %(uscc)s，联系人 %(contact)s。")
        % {"uscc": uscc, "contact": contact_name},
        url=reverse("review:registration", args=[registration.pk]),
    )
    return registration


def _locked_pending(registration: EnterpriseRegistration) -> EnterpriseRegistration:
    registration = (
        EnterpriseRegistration.objects.select_for_update()
        .select_related("user")
        .get(pk=registration.pk)
    )
    if registration.status != RegistrationStatus.PENDING:
        raise ValidationError(
            _("该注册申请已处理（%(status)s），请刷新页面。")
            % {"status": registration.get_status_display()},
            code="wrong_status",
        )
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
    registration = _locked_pending(registration)
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
        _save(enterprise, actor)

    user = registration.user
    user.role = Role.ENTERPRISE
    user.enterprise = enterprise
    user.is_active = True
    _save(user, actor, exclude=["password"])

    registration.enterprise = enterprise
    registration.status = RegistrationStatus.APPROVED
    registration.reviewed_by = actor
    registration.reviewed_at = timezone.now()
    registration.reject_reason = ""
    _save(registration, actor)

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
    registration = _locked_pending(registration)
    registration.status = RegistrationStatus.REJECTED
    registration.reject_reason = reason
    registration.reviewed_by = actor
    registration.reviewed_at = timezone.now()
    _save(registration, actor)
    # The applicant cannot sign in yet, so the email is what reaches them.
    notifications.notify(
        users=[registration.user],
        kind=NotificationKind.OTHER,
        title=_("您的企业注册申请未通过：%(name)s") % {"name": registration.name},
        body=reason,
    )
    return registration
