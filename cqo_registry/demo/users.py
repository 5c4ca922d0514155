"""The five demo users, one per role, and the password check the command runs first."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db.models import Q
from django.utils.translation import gettext as _

from cqo_registry import clock
from cqo_registry.accounts.models import Role
from enterprises.models import Enterprise, Town

from .common import showcase_uscc
from .names import DEFAULT_PASSWORD, TOWNS


@dataclass
class DemoUserRow:
    username: str
    role: str
    scope: str
    password: str  # empty when an existing user's password was left unchanged


# username, role, is_staff, is_superuser, display name
USER_SPECS = [
    ("admin", Role.BUREAU_ADMIN, True, True, "局系统管理员"),
    ("reviewer", Role.REVIEWER, True, False, "刘静"),
    ("town_officer", Role.TOWN_OFFICER, False, False, "周文斌"),
    ("leader", Role.LEADER, False, False, "陈国华"),
    ("enterprise", Role.ENTERPRISE, False, False, "汪晓燕"),
]


def check_password(password: str) -> None:
    """Raise ``ValidationError`` when ``password`` fails the project's validators for any of
    the demo users (the similarity check compares it with each username)."""
    User = get_user_model()
    for spec in USER_SPECS:
        validate_password(password, user=User(username=spec[0]))


def ensure_users(hashed: str, password: str | None, *, scoped: bool):
    """Create the missing demo users; bring existing ones back to their demo role and scope.
    ``scoped`` handles the two users that need the county (town officer, enterprise)."""
    User = get_user_model()
    first_town = Town.objects.filter(code=TOWNS[0][1]).first()
    showcase = Enterprise.objects.filter(uscc=showcase_uscc()).first()
    users, rows = {}, []
    for username, role, is_staff, is_superuser, display in USER_SPECS:
        town = first_town if role == Role.TOWN_OFFICER else None
        enterprise = showcase if role == Role.ENTERPRISE else None
        needs_scope = role in (Role.TOWN_OFFICER, Role.ENTERPRISE)
        if needs_scope != scoped or (needs_scope and not (town or enterprise)):
            continue
        wanted = {
            "role": role,
            "is_staff": is_staff,
            "is_superuser": is_superuser,
            "is_active": True,
            "town": town,
            "enterprise": enterprise,
            # Demo accounts (issue 13): no forced change, no expiry — the README's password
            # keeps working. The enterprise demo user is its enterprise's admin.
            "is_demo": True,
            "must_change_password": False,
            "is_enterprise_admin": role == Role.ENTERPRISE,
        }
        user = User.objects.filter(username=username).first()
        shown = password or DEFAULT_PASSWORD
        if user is None:
            user = User(username=username, first_name=display, password=hashed, **wanted)
            user.full_clean()
            user.save()
        else:
            changed = [k for k, v in wanted.items() if getattr(user, k) != v]
            if changed:
                for key in changed:
                    setattr(user, key, wanted[key])
                user.save(update_fields=changed)
            if password:
                # The password is not in the users' history, so no history row for it.
                User.objects.filter(pk=user.pk).update(password=hashed)
            else:
                shown = ""
        users[username] = user
        if town or enterprise:
            scope = (town or enterprise).name
        else:
            scope = str(_("全县（只读）") if role == Role.LEADER else _("全县"))
        rows.append(DemoUserRow(username, str(Role(role).label), scope, shown))
    return users, rows


def ensure_town_officers(towns: list[Town], demo_officer, name, at) -> dict[int, object]:
    """One town officer per town, keyed by town id: the demo's ``town_officer`` for its town,
    an account of the county's other officers (``officer_<town code>``, no usable password:
    they act in the demo's history, nobody signs in as them) for each other town. ``name``
    draws a person's name; ``at`` dates the accounts."""
    User = get_user_model()
    officers = {demo_officer.town_id: demo_officer}
    for town in towns:
        if town.pk in officers:
            continue
        username = f"officer_{town.code[6:9]}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=name(),
                role=Role.TOWN_OFFICER,
                town=town,
                is_active=True,
                is_demo=True,
                date_joined=at,
            )
            user.set_unusable_password()
            user.full_clean()
            user._history_date = at
            user.save()
        officers[town.pk] = user
    return officers


FIRST_FILING_USER = "first_filing"


def first_filing_enterprise(town: Town | None) -> Enterprise | None:
    """A vacant enterprise for a first filing (issue 12): active, required to appoint a CQO,
    with no appointment, filing, registration or account of its own — the first such in
    ``town`` (the demo town officer's, so that officer follows it), by USCC."""
    candidates = (
        Enterprise.objects.filter(
            Q(established_on__isnull=True) | Q(established_on__lte=clock.localdate()),
            requires_cqo=True,
            deregistered_on__isnull=True,
            appointments__isnull=True,
            filings__isnull=True,
            registrations__isnull=True,
            users__isnull=True,
        )
        .exclude(town__isnull=True)
        .order_by("uscc")
    )
    return candidates.filter(town=town).first() or candidates.first()


def ensure_first_filing_user(hashed: str, password: str | None) -> DemoUserRow | None:
    """The demo account ``first_filing`` of a vacant enterprise with nothing filed yet, to try
    a first filing with (the portal's first-time guide). Made once; later runs keep its
    enterprise (whatever it filed since) and reset its password only when one is given."""
    User = get_user_model()
    user = User.objects.filter(username=FIRST_FILING_USER).first()
    shown = password or DEFAULT_PASSWORD
    if user is None:
        enterprise = first_filing_enterprise(Town.objects.filter(code=TOWNS[0][1]).first())
        if enterprise is None:
            return None
        user = User(
            username=FIRST_FILING_USER,
            first_name="王新",
            password=hashed,
            role=Role.ENTERPRISE,
            enterprise=enterprise,
            is_active=True,
            is_demo=True,
            must_change_password=False,
            is_enterprise_admin=True,
        )
        user.full_clean()
        user.save()
    elif password:
        User.objects.filter(pk=user.pk).update(password=hashed)
    else:
        shown = ""
    scope = user.enterprise.name if user.enterprise else ""
    return DemoUserRow(FIRST_FILING_USER, str(Role(user.role).label), scope, shown)
