"""Quality incidents (质量安全事故) and sanctions of CQOs (约谈/警示/退出, notice §6.2).

* ``incident_record``: the bureau records an enterprise's incident. A major one with no
  sanction linked to it is listed as needing action ("建议约谈首席质量官").
* ``sanction_record``: the bureau records an interview, warning or exit. An exit ends the
  appointment with reason 退出 on the decision date — in the same transaction as the
  sanction, so the enterprise's vacancy opens exactly when the sanction exists. The
  enterprise's users are told of every sanction.

Reads (``incident_list_for``, ``sanction_list_for``) are scoped by role like every list.
"""

from collections.abc import Iterable
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cqo_registry import clock
from cqo_registry.accounts import access, notifications
from cqo_registry.accounts.models import NotificationKind
from cqo_registry.workflows import save_validated
from enterprises.models import Enterprise

from . import services
from .models import (
    Appointment,
    EndReason,
    QualityIncident,
    Sanction,
    SanctionDocument,
    SanctionKind,
    Severity,
)

# --- Incidents -------------------------------------------------------------------------------


@transaction.atomic
def incident_record(
    *,
    enterprise: Enterprise,
    occurred_on: date,
    severity: str,
    source: str,
    description: str,
    actor,
) -> QualityIncident:
    if occurred_on > clock.localdate():
        raise ValidationError(_("发生日期不能晚于今天。"), code="future")
    incident = QualityIncident(
        enterprise=enterprise,
        occurred_on=occurred_on,
        severity=severity,
        source=source,
        description=description.strip(),
        recorded_by=actor,
    )
    save_validated(incident, actor)
    return incident


@transaction.atomic
def incident_update(*, incident: QualityIncident, actor, **fields) -> QualityIncident:
    incident = QualityIncident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
    for key in ("occurred_on", "severity", "source", "description"):
        if key in fields:
            setattr(incident, key, fields[key])
    if incident.occurred_on > clock.localdate():
        raise ValidationError(_("发生日期不能晚于今天。"), code="future")
    save_validated(incident, actor)
    return incident


# Other suggestions of the sanction path that apps above this one make (the exams app: a
# failed spot check): ``?<name>=<id>`` on the sanction form calls ``prefill(user, id)``, which
# returns ``(enterprise, initial)`` within the user's scope, or ``None`` (404). appointments
# may not import those apps (tests/infra/test_layers.py): they register themselves.
SANCTION_PREFILLS: dict = {}


def suggests_sanction(incident: QualityIncident) -> bool:
    """A major incident suggests interviewing the enterprise's CQO until a sanction is
    linked to it."""
    linked = getattr(incident, "has_sanction", None)
    if linked is None:
        linked = incident.sanctions.exists()
    return incident.severity == Severity.MAJOR and not linked


# --- Sanctions -------------------------------------------------------------------------------


@transaction.atomic
def sanction_record(
    *,
    appointment: Appointment,
    kind: str,
    reason: str,
    decided_on: date,
    incident: QualityIncident | None = None,
    documents: Iterable = (),
    actor,
) -> Sanction:
    """Record a sanction of ``appointment``'s CQO. An exit (退出) ends the appointment on
    ``decided_on`` with reason 退出 in this transaction: if anything fails, neither the
    sanction nor the end is stored."""
    # The enterprise row first, like filing approval: an exit and an approval of the same
    # enterprise queue instead of racing on its current appointment.
    Enterprise.objects.select_for_update(of=("self",)).filter(pk=appointment.enterprise_id).first()
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("enterprise", "person")
        .get(pk=appointment.pk)
    )
    if appointment.filed_on is None:
        raise ValidationError(_("该聘任尚未备案，不能登记处理。"), code="not_filed")
    if decided_on > clock.localdate():
        raise ValidationError(_("决定日期不能晚于今天。"), code="future")
    if decided_on < appointment.appointed_on:
        raise ValidationError(
            _("决定日期不能早于聘任日期（%(day)s）。") % {"day": appointment.appointed_on},
            code="before_appointment",
        )
    if kind == SanctionKind.EXIT and appointment.ended_on is not None:
        raise ValidationError(
            _("该聘任已于 %(day)s 结束，不能再作退出处理。") % {"day": appointment.ended_on},
            code="already_ended",
        )
    if appointment.ended_on is not None and decided_on > appointment.ended_on:
        raise ValidationError(
            _("该聘任已于 %(day)s 结束，决定日期不能晚于结束日期。")
            % {"day": appointment.ended_on},
            code="after_end",
        )
    if incident is not None and incident.enterprise_id != appointment.enterprise_id:
        raise ValidationError(_("关联事故不属于该企业。"), code="incident_enterprise")
    sanction = Sanction(
        appointment=appointment,
        kind=kind,
        reason=reason.strip(),
        decided_on=decided_on,
        incident=incident,
        decided_by=actor,
    )
    save_validated(sanction, actor)
    for upload in documents:
        sanction_add_document(sanction=sanction, upload=upload, actor=actor)
    if kind == SanctionKind.EXIT:
        # Through the module, so that the one place that ends appointments stays the one.
        services.appointment_end(
            appointment=appointment, ended_on=decided_on, reason=EndReason.EXIT, actor=actor
        )
    _tell(sanction, appointment)
    return sanction


def _tell(sanction: Sanction, appointment: Appointment) -> None:
    # Stored text is read later by others: in the site's language, not the actor's.
    with translation.override(settings.LANGUAGE_CODE):
        _tell_in_site_language(sanction, appointment)


def _tell_in_site_language(sanction: Sanction, appointment: Appointment) -> None:
    enterprise = appointment.enterprise
    url = reverse("oversight:sanction_detail", args=[sanction.pk])
    values = {
        "kind": sanction.get_kind_display(),
        "name": appointment.person.name,
        "day": sanction.decided_on,
    }
    if sanction.kind == SanctionKind.EXIT:
        body = _(
            "首席质量官已于 %(day)s 退出，聘任同时结束。请及时选聘新的首席质量官并办理聘任备案。"
        ) % {"day": sanction.decided_on}
    else:
        body = sanction.reason
    notifications.notify(
        users=notifications.enterprise_users(enterprise.pk),
        kind=NotificationKind.SANCTION_RECORDED,
        title=_("监管局对首席质量官 %(name)s 作出%(kind)s处理（%(day)s）") % values,
        body=body,
        url=url,
        dedupe_key=f"sanction:{sanction.pk}",
    )
    if sanction.kind == SanctionKind.EXIT:
        # The enterprise now has a vacancy the town officer chases.
        notifications.notify(
            users=notifications.town_officers(enterprise.town_id),
            kind=NotificationKind.SANCTION_RECORDED,
            title=_("%(enterprise)s 首席质量官退出，出现空缺") % {"enterprise": enterprise.name},
            url=url,
            dedupe_key=f"sanction-town:{sanction.pk}",
        )


def sanction_add_document(*, sanction: Sanction, upload, actor) -> SanctionDocument:
    """Attach a document (checked by content on ``full_clean``; stored under a random name,
    the original name kept for display only)."""
    document = SanctionDocument(
        sanction=sanction,
        name=PurePath(upload.name).name[:200],
        file=upload,
        uploaded_by=actor,
    )
    document.full_clean()
    document.save()
    return document


# --- Reads ---------------------------------------------------------------------------------------


def incident_list_for(user) -> QuerySet[QualityIncident]:
    return access.scope(
        QualityIncident.objects.select_related("enterprise__town", "recorded_by").annotate(
            has_sanction=Exists(Sanction.objects.filter(incident=OuterRef("pk")))
        ),
        user,
        town_field="enterprise__town",
        enterprise_field="enterprise",
    )


def incidents_needing_action(user) -> QuerySet[QualityIncident]:
    """Major incidents with no sanction linked: each suggests interviewing the CQO."""
    return incident_list_for(user).filter(severity=Severity.MAJOR, has_sanction=False)


def sanction_list_for(user) -> QuerySet[Sanction]:
    return access.scope_by_appointment(
        Sanction.objects.select_related(
            "appointment__person", "appointment__enterprise__town", "incident", "decided_by"
        ),
        user,
    )
