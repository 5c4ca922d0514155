"""Sanction services: an exit ends the appointment and opens the vacancy in one transaction,
the enterprise is told, incidents suggest interviews."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from appointments import sanctions
from appointments.models import (
    EndReason,
    IncidentSource,
    Sanction,
    SanctionDocument,
    SanctionKind,
    Severity,
)
from appointments.registry import vacant_enterprises
from cqo_registry.accounts.models import Notification
from tests.oversight.conftest import PDF_BYTES

pytestmark = pytest.mark.django_db

DECIDED = date(2024, 5, 20)


def record(appointment, actor, kind=SanctionKind.EXIT, **kwargs):
    values = {"reason": "造成重大质量安全事故", "decided_on": DECIDED}
    values.update(kwargs)
    return sanctions.sanction_record(appointment=appointment, kind=kind, actor=actor, **values)


def major_incident(enterprise, actor, day=date(2024, 5, 1)):
    return sanctions.incident_record(
        enterprise=enterprise,
        occurred_on=day,
        severity=Severity.MAJOR,
        source=IncidentSource.SPOT_CHECK,
        description="监督抽查发现批次产品不合格并造成伤害",
        actor=actor,
    )


def test_exit_ends_the_appointment_and_opens_a_vacancy(home_appointment, reviewer):
    enterprise = home_appointment.enterprise
    # In the registry long before (a vacancy starts no earlier than the enterprise's entry).
    type(enterprise).objects.filter(pk=enterprise.pk).update(
        created_at=timezone.make_aware(timezone.datetime(2015, 1, 1))
    )
    assert not vacant_enterprises(DECIDED).filter(pk=enterprise.pk).exists()
    sanction = record(home_appointment, reviewer)
    home_appointment.refresh_from_db()
    assert sanction.kind == SanctionKind.EXIT
    assert home_appointment.ended_on == DECIDED
    assert home_appointment.end_reason == EndReason.EXIT
    vacant = vacant_enterprises(DECIDED).get(pk=enterprise.pk)
    assert vacant.vacancy_start == DECIDED
    assert not vacant_enterprises(DECIDED - timedelta(days=1)).filter(pk=enterprise.pk).exists()


def test_interview_and_warning_leave_the_appointment(home_appointment, reviewer):
    record(home_appointment, reviewer, kind=SanctionKind.INTERVIEW)
    record(home_appointment, reviewer, kind=SanctionKind.WARNING)
    home_appointment.refresh_from_db()
    assert home_appointment.ended_on is None


def test_invalid_sanction_leaves_the_appointment_untouched(
    home_appointment, outsider_enterprise, reviewer
):
    foreign = major_incident(outsider_enterprise, reviewer)
    with pytest.raises(ValidationError):
        record(home_appointment, reviewer, incident=foreign)
    with pytest.raises(ValidationError):
        record(home_appointment, reviewer, decided_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError):
        record(home_appointment, reviewer, reason="")
    home_appointment.refresh_from_db()
    assert home_appointment.ended_on is None and home_appointment.end_reason == ""
    assert not Sanction.objects.exists()
    assert not Notification.objects.exists()


def test_failing_to_end_the_appointment_stores_no_sanction(
    home_appointment, reviewer, enterprise_user
):
    with mock.patch("appointments.services.appointment_end", side_effect=ValidationError("boom")):
        with pytest.raises(ValidationError):
            record(
                home_appointment,
                reviewer,
                documents=[SimpleUploadedFile("决定书.pdf", PDF_BYTES)],
            )
    assert not Sanction.objects.exists()
    assert not SanctionDocument.objects.exists()
    assert not Notification.objects.filter(user=enterprise_user).exists()
    home_appointment.refresh_from_db()
    assert home_appointment.ended_on is None


def test_exit_of_an_ended_appointment_is_refused(home_appointment, reviewer):
    record(home_appointment, reviewer)
    with pytest.raises(ValidationError, match="已于"):
        record(home_appointment, reviewer, decided_on=DECIDED + timedelta(days=1))
    assert Sanction.objects.count() == 1


def test_every_sanction_notifies_the_enterprise(
    home_appointment, reviewer, enterprise_user, outsider_enterprise_user, town_officer
):
    record(home_appointment, reviewer, kind=SanctionKind.WARNING)
    notes = Notification.objects.filter(user=enterprise_user)
    assert notes.count() == 1
    assert "警示" in notes.get().title
    assert not Notification.objects.filter(user=outsider_enterprise_user).exists()
    assert not Notification.objects.filter(user=town_officer).exists()


def test_exit_notifies_the_enterprise_and_its_town_officer(
    home_appointment, reviewer, enterprise_user, town_officer, outsider_town_officer
):
    sanction = record(home_appointment, reviewer)
    note = Notification.objects.get(user=enterprise_user)
    assert "退出" in note.title
    assert note.url.endswith(f"/oversight/sanctions/{sanction.pk}/")
    assert Notification.objects.filter(user=town_officer).count() == 1
    assert not Notification.objects.filter(user=outsider_town_officer).exists()


def test_documents_are_checked_by_content(home_appointment, reviewer):
    fake = SimpleUploadedFile("决定书.pdf", b"just some text, not a pdf at all")
    with pytest.raises(ValidationError, match="PDF"):
        record(home_appointment, reviewer, kind=SanctionKind.INTERVIEW, documents=[fake])
    assert not Sanction.objects.exists()
    sanction = record(
        home_appointment,
        reviewer,
        kind=SanctionKind.INTERVIEW,
        documents=[SimpleUploadedFile("约谈通知书.pdf", PDF_BYTES)],
    )
    document = sanction.documents.get()
    assert document.name == "约谈通知书.pdf"
    assert document.file.name.startswith("sanctions/") and document.file.name.endswith(".pdf")


def test_major_incident_without_sanction_needs_action(home_appointment, reviewer):
    incident = major_incident(home_appointment.enterprise, reviewer)
    assert sanctions.suggests_sanction(incident)
    assert list(sanctions.incidents_needing_action(reviewer)) == [incident]
    record(home_appointment, reviewer, kind=SanctionKind.INTERVIEW, incident=incident)
    assert not sanctions.incidents_needing_action(reviewer).exists()
    assert not sanctions.suggests_sanction(incident)


def test_lesser_incidents_suggest_nothing(home_appointment, reviewer):
    incident = sanctions.incident_record(
        enterprise=home_appointment.enterprise,
        occurred_on=date(2024, 5, 1),
        severity=Severity.SERIOUS,
        source=IncidentSource.COMPLAINT,
        description="消费者投诉",
        actor=reviewer,
    )
    assert not sanctions.suggests_sanction(incident)
    assert not sanctions.incidents_needing_action(reviewer).exists()


def test_history_records_the_actor(home_appointment, reviewer, bureau_admin):
    incident = major_incident(home_appointment.enterprise, bureau_admin)
    assert incident.history.latest().history_user == bureau_admin
    sanction = record(home_appointment, reviewer, incident=incident)
    assert sanction.history.latest().history_user == reviewer
    latest = home_appointment.history.latest()
    assert latest.history_user == reviewer
    assert latest.end_reason == EndReason.EXIT


def test_reads_are_scoped(county, reviewer, users):
    record(county.home_appointment, reviewer, kind=SanctionKind.INTERVIEW)
    record(county.outsider_appointment, reviewer, kind=SanctionKind.INTERVIEW)
    assert sanctions.sanction_list_for(users["leader"]).count() == 2
    assert sanctions.sanction_list_for(users["town_officer"]).count() == 1
    assert sanctions.sanction_list_for(users["enterprise_user"]).count() == 1
    assert sanctions.sanction_list_for(users["outsider_enterprise_user"]).count() == 1
    assert sanctions.sanction_list_for(users["no_role_user"]).count() == 0
