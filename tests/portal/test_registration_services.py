"""The self-registration workflow: submit, approve (enterprise in the registry or new),
reject — with the history's actor and the notifications each step sends."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from cqo_registry.accounts.models import Notification, NotificationKind, Role
from enterprises import services
from enterprises.models import Enterprise, Industry, RegistrationStatus, Scale
from enterprises.services import registration_approve, registration_reject, registration_submit
from tests.factories import UserFactory, make_uscc

PASSWORD = "Qiye@2026x"


def submit(**overrides):
    data = {
        "uscc": make_uscc(9001),
        "name": "新注册科技有限公司",
        "contact_name": "李联系",
        "mobile": "13955550001",
        "email": "li@example.cn",
        "username": "xinzhuce",
        "password": PASSWORD,
    }
    data.update(overrides)
    return registration_submit(**data)


def test_submit_for_known_enterprise_keeps_account_inactive(home_enterprise, reviewer):
    registration = submit(uscc=home_enterprise.uscc, name=home_enterprise.name)
    user = registration.user
    assert registration.status == RegistrationStatus.PENDING
    assert registration.enterprise == home_enterprise
    assert not user.is_active and user.role == "" and user.enterprise is None
    assert user.check_password(PASSWORD)
    note = Notification.objects.get(user=reviewer)
    assert home_enterprise.name in note.title
    assert note.url.endswith(f"/review/registrations/{registration.pk}/")


def test_submit_normalises_uscc(home_enterprise):
    spaced = " ".join([home_enterprise.uscc[:6], home_enterprise.uscc[6:].lower()])
    registration = submit(uscc=spaced)
    assert registration.uscc == home_enterprise.uscc
    assert registration.enterprise == home_enterprise


def test_submit_new_enterprise_requires_town_scale_industry(db):
    with pytest.raises(ValidationError) as error:
        submit()
    assert set(error.value.message_dict) == {"town", "scale", "industry"}


def test_submit_refuses_bad_uscc(db):
    with pytest.raises(ValidationError, match="统一社会信用代码"):
        submit(uscc="913401040000000000")


def test_submit_accepts_a_second_pending_registration(home_enterprise):
    """Issue 13: a pending registration does not block another of the same USCC (a squatter
    cannot hold the code); the reviewer compares them."""
    first = submit(uscc=home_enterprise.uscc)
    second = submit(uscc=home_enterprise.uscc, username="another")
    assert list(services.competing_registrations(first)) == [second]
    assert list(services.competing_registrations(second)) == [first]


def test_submit_refuses_enterprise_with_active_account(enterprise_user, home_enterprise):
    with pytest.raises(ValidationError, match="已开通账号"):
        submit(uscc=home_enterprise.uscc)


def test_submit_refuses_weak_password(home_enterprise):
    with pytest.raises(ValidationError) as error:
        submit(uscc=home_enterprise.uscc, password="abcdefgh1")
    assert "password1" in error.value.message_dict


def test_a_demo_account_is_exempt_from_the_policy_and_marked_demo(home_enterprise):
    """seed_demo's applicants (issue 13): the README's demo password, which the policy
    refuses, is taken for a demo account only, and the account says it is one."""
    with pytest.raises(ValidationError):
        submit(uscc=home_enterprise.uscc, password="Demo@2026")
    registration = submit(uscc=home_enterprise.uscc, password="Demo@2026", demo_account=True)
    user = registration.user
    assert user.is_demo and not user.is_active
    assert user.check_password("Demo@2026")
    assert user.password_history.count() == 1


def test_submit_refuses_taken_username(home_enterprise, reviewer):
    with pytest.raises(ValidationError) as error:
        submit(uscc=home_enterprise.uscc, username="Reviewer")
    assert "username" in error.value.message_dict


def test_approve_existing_enterprise_activates_account(home_enterprise, reviewer):
    registration = submit(uscc=home_enterprise.uscc)
    registration_approve(registration=registration, actor=reviewer)
    registration.refresh_from_db()
    user = registration.user
    user.refresh_from_db()
    assert registration.status == RegistrationStatus.APPROVED
    assert registration.reviewed_by == reviewer
    assert user.is_active and user.role == Role.ENTERPRISE and user.enterprise == home_enterprise
    assert user.history.first().history_user == reviewer
    assert registration.history.first().history_user == reviewer
    note = Notification.objects.get(user=user)
    assert note.kind == NotificationKind.ACCOUNT_ACTIVATED
    assert note.url == "/portal/"


def test_approve_new_enterprise_creates_it(
    home_town, other_town, reviewer, django_capture_on_commit_callbacks
):
    registration = submit(
        town=home_town, scale=Scale.SME, industry=Industry.C, address="城关镇工业园 1 号"
    )
    with django_capture_on_commit_callbacks(execute=True):
        registration_approve(
            registration=registration,
            actor=reviewer,
            town=other_town,
            scale=Scale.MICRO,
            industry=Industry.F,
            requires_cqo=False,
        )
    enterprise = Enterprise.objects.get(uscc=registration.uscc)
    assert (enterprise.town, enterprise.scale, enterprise.industry) == (
        other_town,
        Scale.MICRO,
        Industry.F,
    )
    assert enterprise.requires_cqo is False
    assert enterprise.address == "城关镇工业园 1 号"
    assert enterprise.history.first().history_user == reviewer
    registration.refresh_from_db()
    assert registration.enterprise == enterprise
    assert registration.user.enterprise == enterprise and registration.user.is_active
    assert [m.to for m in mail.outbox] == [["li@example.cn"]]


def test_approve_above_scale_always_requires_cqo(home_town, reviewer):
    registration = submit(town=home_town, scale=Scale.ABOVE, industry=Industry.C)
    registration_approve(registration=registration, actor=reviewer, requires_cqo=False)
    assert Enterprise.objects.get(uscc=registration.uscc).requires_cqo is True


def test_approve_twice_is_refused(home_enterprise, reviewer):
    registration = submit(uscc=home_enterprise.uscc)
    registration_approve(registration=registration, actor=reviewer)
    with pytest.raises(ValidationError, match="已处理"):
        registration_approve(registration=registration, actor=reviewer)


def test_reject_keeps_account_inactive_and_frees_uscc(home_enterprise, reviewer):
    registration = submit(uscc=home_enterprise.uscc)
    registration_reject(registration=registration, reason="营业执照信息不符", actor=reviewer)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.REJECTED
    assert registration.reject_reason == "营业执照信息不符"
    assert registration.history.first().history_user == reviewer
    assert not registration.user.is_active
    note = Notification.objects.get(user=registration.user)
    assert note.body == "营业执照信息不符"
    submit(uscc=home_enterprise.uscc, username="second_try")


def test_reject_needs_reason(home_enterprise, reviewer):
    registration = submit(uscc=home_enterprise.uscc)
    with pytest.raises(ValidationError):
        registration_reject(registration=registration, reason="  ", actor=reviewer)


def test_reject_after_approve_is_refused(home_enterprise, reviewer):
    registration = submit(uscc=home_enterprise.uscc)
    registration_approve(registration=registration, actor=UserFactory(reviewer=True))
    with pytest.raises(ValidationError):
        registration_reject(registration=registration, reason="x", actor=reviewer)
