"""A CQO's page (/cqos/<person id>/): their whole record — appointments with their filings
and numbers, training, yearly evaluations, honours and sanctions.

Who may open it: bureau roles (in full) and leaders (read only) for anyone; a town officer
for a person who serves or served at an enterprise of their town; an enterprise user for a
person who is or was their enterprise's CQO; everyone else gets 404. A town officer or an
enterprise user sees the records tied to appointments within their own scope only (another
town's or another enterprise's sanctions are not theirs to read); training belongs to the
person and is shown to all of them. The ID number and mobile are masked except for bureau
roles. The page makes the same number of queries however long the record is.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render

from appointments.models import Filing, FilingStatus
from appointments.sanctions import sanction_list_for
from appointments.selectors import appointment_list
from cqo_registry.accounts import access
from cqo_registry.accounts.access import get_scoped_or_404
from cqo_registry.audit.services import audit_id_numbers_shown
from enterprises.selectors import person_list
from training.models import Evaluation, Nomination, NominationStatus


def _scoped(queryset, user, prefix: str = "appointment__"):
    return access.scope(
        queryset,
        user,
        town_field=f"{prefix}enterprise__town",
        enterprise_field=f"{prefix}enterprise",
    )


# No role check of its own: ``person_list`` is empty for a user without a scope, so they get
# the same 404 as anyone asking for a person outside theirs.
@login_required
def detail(request, pk: int):
    user = request.user
    person = get_scoped_or_404(person_list(user), pk=pk)
    approved_filings = Prefetch(
        "filings",
        queryset=Filing.objects.filter(status=FilingStatus.APPROVED).order_by("approved_on", "pk"),
        to_attr="approved_filings",
    )
    appointments = (
        appointment_list(user)
        .filter(person=person)
        .prefetch_related(approved_filings)
        .order_by("-appointed_on", "-pk")
    )
    attendances = person.attendances.select_related("session").order_by(
        "-session__starts_on", "-pk"
    )
    evaluations = (
        _scoped(Evaluation.objects.filter(appointment__person=person), user)
        .select_related("appointment__enterprise")
        .order_by("-year", "-pk")
    )
    honours = (
        _scoped(
            Nomination.objects.filter(
                appointment__person=person,
                status__in=[NominationStatus.HONOURED, NominationStatus.SHORTLISTED],
            ),
            user,
        )
        .select_related("campaign", "appointment__enterprise")
        .order_by("-campaign__year", "-pk")
    )
    sanctions = (
        sanction_list_for(user).filter(appointment__person=person).order_by("-decided_on", "-pk")
    )
    audit_id_numbers_shown(request, [person], page="persons:detail")
    return render(
        request,
        "persons/detail.html",
        {
            "person": person,
            "id_number": access.id_number_for(user, person),
            "mobile": access.mobile_for(user, person),
            "appointments": appointments,
            "attendances": attendances,
            "evaluations": evaluations,
            "honours": honours,
            "sanctions": sanctions,
            "trained": any(a.passed for a in attendances),
        },
    )
