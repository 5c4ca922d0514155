"""The one access helper: who may see what (SPEC §1).

Every view, export and download goes through :func:`scope` (directly or through an app's
``selectors.py``), so a role's reach is defined in one place (what a role may *do* is the
rules module's, ``rules.py``, asked with :func:`permission_required` or ``user.has_perm``):

* bureau admin, reviewer, leader: the whole county (leaders read only);
* town officer: rows of their own town;
* enterprise user: rows of their own enterprise;
* anybody else (no role, anonymous): nothing.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import BUREAU_ROLES, Role


def role_of(user) -> str:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ""
    return user.effective_role


def is_bureau(user) -> bool:
    return role_of(user) in BUREAU_ROLES


def is_bureau_admin(user) -> bool:
    return role_of(user) == Role.BUREAU_ADMIN


def is_town_officer(user) -> bool:
    return role_of(user) == Role.TOWN_OFFICER


def is_leader(user) -> bool:
    return role_of(user) == Role.LEADER


def is_enterprise_user(user) -> bool:
    return role_of(user) == Role.ENTERPRISE


def sees_whole_county(user) -> bool:
    return role_of(user) in BUREAU_ROLES | {Role.LEADER}


def sees_personal_data(user) -> bool:
    """ID numbers and mobiles are shown in full to bureau roles only (PIPL minimisation)."""
    return is_bureau(user)


def opens_private_files(user) -> bool:
    """Appointment letters, sanction and evaluation documents (PIPL "minimum necessary"):
    bureau roles, town officers and enterprise users — each within their scope, which the
    view still checks. Leaders read dashboards and reports, not these files (SPEC §1)."""
    return role_of(user) in BUREAU_ROLES | {Role.TOWN_OFFICER, Role.ENTERPRISE}


def id_number_for(user, person) -> str:
    """A person's ID number as ``user`` may see it: in full for bureau roles, else masked."""
    return person.id_number if sees_personal_data(user) else person.masked_id_number


def mobile_for(user, person) -> str:
    return person.mobile if sees_personal_data(user) else person.masked_mobile


def scope(
    queryset: QuerySet,
    user,
    *,
    town_field: str | None,
    enterprise_field: str | None,
) -> QuerySet:
    """Limit ``queryset`` to what ``user`` may see.

    ``town_field`` / ``enterprise_field`` are the lookups from the queryset's model to the
    town id and enterprise id (e.g. ``"enterprise__town"`` and ``"enterprise"``). ``None``
    means that role never sees this model.
    """
    role = role_of(user)
    if role in BUREAU_ROLES or role == Role.LEADER:
        return queryset
    if role == Role.TOWN_OFFICER and town_field is not None and user.town_id:
        return queryset.filter(**{town_field: user.town_id})
    if role == Role.ENTERPRISE and enterprise_field is not None and user.enterprise_id:
        return queryset.filter(**{enterprise_field: user.enterprise_id})
    return queryset.none()


def scope_identity(user) -> tuple:
    """What :func:`scope` reads of ``user``, as a tuple: ``("county",)`` for the roles that
    see the whole county, else the role, the town id and the enterprise id. Two users with
    the same identity see the same rows of any scoped queryset — a key for what is kept per
    scope (``cqo_registry.keyed_statements``)."""
    if sees_whole_county(user):
        return ("county",)
    return (role_of(user), getattr(user, "town_id", None), getattr(user, "enterprise_id", None))


def scope_by_appointment(queryset: QuerySet, user) -> QuerySet:
    """:func:`scope` for rows that belong to an ``appointment`` (sanctions, nominations,
    evaluations): the appointment's enterprise, and that enterprise's town, decide who sees
    them."""
    return scope(
        queryset,
        user,
        town_field="appointment__enterprise__town",
        enterprise_field="appointment__enterprise",
    )


def get_scoped_or_404(queryset: QuerySet, **lookup):
    """Fetch one row from an already scoped queryset: a row outside the user's scope is
    indistinguishable from one that does not exist (404, not 403)."""
    return get_object_or_404(queryset, **lookup)


def permission_required(perm: str):
    """View decorator: anonymous users go to the login page; signed-in users without
    ``perm`` (asked of the rules, ``accounts/rules.py``) get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
