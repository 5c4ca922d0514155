"""The legacy filings file (首席质量官备案, SPEC §4): one row per appointment, keyed by
(enterprise USCC, ID number, appointment date). A filing date makes the appointment filed and
records one approved, imported ``appoint`` filing for it."""

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry.importing import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Column,
    Importer,
    parsers,
    validation_reason,
)
from cqo_registry.importing.bulk import instance_factory
from cqo_registry.importing.people import PersonBook
from enterprises.models import Enterprise
from enterprises.validators import normalize_uscc, validate_mobile

from .models import (
    Appointment,
    EndReason,
    Filing,
    FilingEvent,
    FilingKind,
    FilingSource,
    FilingStatus,
)

# Column headers are the file format of SPEC §4: the same Chinese words in every
# UI language, so they are plain strings, not translated.
USCC = "统一社会信用代码"
NAME = "姓名"
ID_NUMBER = "身份证号"
POSITION = "职务"
SENIOR = "是否高层管理人员"
PRINCIPAL = "是否主要负责人"
APPOINTED = "聘任日期"
ENDED = "解聘日期"
FILED = "备案日期"
MOBILE = "手机"

FAR_FUTURE = date.max


class AppointmentImporter(Importer):
    kind = "appointments"
    title = gettext_lazy("首席质量官备案")
    columns = [
        Column(USCC, "uscc", required=True),
        Column(NAME, "name", required=True, max_length=50),
        Column(ID_NUMBER, "id_number", required=True),
        Column(POSITION, "position", required=True, max_length=100),
        Column(SENIOR, "is_senior_manager", parsers.parse_bool),
        Column(PRINCIPAL, "is_principal", parsers.parse_bool),
        Column(APPOINTED, "appointed_on", parsers.parse_date, required=True),
        Column(ENDED, "ended_on", parsers.parse_date),
        Column(FILED, "filed_on", parsers.parse_date),
        Column(MOBILE, "mobile"),
    ]

    def load(self):
        self.enterprises = {uscc: pk for uscc, pk in Enterprise.objects.values_list("uscc", "id")}
        self.people = PersonBook(self, id_column=ID_NUMBER, name_column=NAME)
        self.existing = {
            (a.enterprise_id, a.person_id, a.appointed_on): a
            for a in Appointment.objects.select_related("person")
        }
        # Approved appoint/change filings: an appointment that has one gets no new one.
        self.filings = defaultdict(list)
        for filing in Filing.objects.filter(
            status=FilingStatus.APPROVED, kind__in=[FilingKind.APPOINT, FilingKind.CHANGE]
        ):
            self.filings[filing.appointment_id].append(filing)
        self.seen: dict[tuple, int] = {}
        self.rows_of: dict[int, int] = {}  # id(appointment) -> row
        self.to_create: list[Appointment] = []
        self.to_update: list[Appointment] = []
        self.changed_fields: set[str] = set()
        self.filings_to_create: list[Filing] = []
        self.filings_to_update: list[Filing] = []
        self.new_appointment = instance_factory(Appointment)
        self.new_filing = instance_factory(Filing)
        self.label = str(Appointment._meta.verbose_name)
        self.filing_label = str(Filing._meta.verbose_name)

    def check_row(self, row, v, present):
        ok = True
        enterprise_id = self.enterprises.get(normalize_uscc(v["uscc"]).upper())
        if enterprise_id is None:
            self.error(
                row,
                USCC,
                _("系统中没有统一社会信用代码为 %(uscc)s 的企业，请先导入企业名录")
                % {"uscc": v["uscc"]},
            )
            ok = False
        mobile = v.get("mobile", "")
        if mobile:
            try:
                validate_mobile(mobile)
            except ValidationError as exc:
                self.error(row, MOBILE, validation_reason(exc))
                ok = False
        person = self.people.resolve(row, v["id_number"], v["name"])
        appointed, ended, filed = v["appointed_on"], v.get("ended_on"), v.get("filed_on")
        if ended and ended < appointed:
            self.error(row, ENDED, _("解聘日期早于聘任日期（%(day)s）") % {"day": appointed})
            ok = False
        if person is None or not ok:
            return
        self.people.set_mobile(person, mobile)

        key = (enterprise_id, person.pk or person.id_number, appointed)
        if key in self.seen:
            self.error(
                row,
                "",
                _("与第 %(row)d 行是同一聘任（企业、身份证号、聘任日期相同）")
                % {"row": self.seen[key]},
            )
            return
        self.seen[key] = row
        senior = v.get("is_senior_manager")
        target = {
            "position": v["position"],
            "is_senior_manager": True if senior is None else senior,
            "is_principal": bool(v.get("is_principal")),
        }
        existing = self.existing.get(key) if person.pk else None
        if existing is None:
            appointment = self.new_appointment(
                enterprise_id=enterprise_id,
                person_id=person.pk,
                appointed_on=appointed,
                ended_on=ended,
                end_reason=EndReason.DISMISSED if ended else "",
                filed_on=filed,
                **target,
            )
            appointment._import_person = person
            self.to_create.append(appointment)
            self.outcome(row, self.label, CREATED, appointment)
        else:
            appointment = existing
            # A blank end or filing date does not undo one recorded since (by a dismissal
            # filing, a sanction): an old legacy file must not reopen what has ended.
            if ended and ended != existing.ended_on:
                target["ended_on"] = ended
                target["end_reason"] = existing.end_reason or EndReason.DISMISSED
            if filed and filed != existing.filed_on:
                target["filed_on"] = filed
            changed = [n for n, value in target.items() if getattr(existing, n) != value]
            for name in changed:
                setattr(existing, name, target[name])
            if changed:
                self.changed_fields.update(changed)
                self.to_update.append(existing)
            self.outcome(row, self.label, UPDATED if changed else UNCHANGED, existing)
        self.rows_of[id(appointment)] = row
        if appointment.filed_on:
            self._plan_filing(appointment)

    def _plan_filing(self, appointment: Appointment) -> None:
        """One approved, imported appoint filing per filed appointment (idempotent)."""
        filings = self.filings.get(appointment.pk, []) if appointment.pk else []
        if not filings:
            filing = self.new_filing(
                kind=FilingKind.APPOINT,
                status=FilingStatus.APPROVED,
                source=FilingSource.IMPORT,
                enterprise_id=appointment.enterprise_id,
                approved_on=appointment.filed_on,
                created_by_id=getattr(self.user, "pk", None),
            )
            filing._import_appointment = appointment
            self.filings_to_create.append(filing)
            self.result.count(self.filing_label, CREATED)
            return
        imported = [f for f in filings if f.source == FilingSource.IMPORT]
        if imported and imported[0].approved_on != appointment.filed_on:
            imported[0].approved_on = appointment.filed_on
            self.filings_to_update.append(imported[0])
            self.result.count(self.filing_label, UPDATED)
        else:
            self.result.count(self.filing_label, UNCHANGED)

    def check_file(self):
        """Refuse two filed appointments of one enterprise open at the same time, counting
        the ones already in the registry that this file does not touch."""
        if self.result.errors:
            return
        periods = defaultdict(list)
        for appointment in self.to_create:
            if appointment.filed_on:
                periods[appointment.enterprise_id].append(appointment)
        for appointment in self.existing.values():
            if appointment.filed_on:
                periods[appointment.enterprise_id].append(appointment)
        for appointments in periods.values():
            if len(appointments) < 2:
                continue
            appointments.sort(key=lambda a: a.appointed_on)
            longest = appointments[0]
            for current in appointments[1:]:
                if current.appointed_on < (longest.ended_on or FAR_FUTURE):
                    self._overlap(current, longest)
                if (current.ended_on or FAR_FUTURE) > (longest.ended_on or FAR_FUTURE):
                    longest = current

    def _describe(self, appointment) -> str:
        if id(appointment) in self.rows_of:
            return _("第 %(row)d 行") % {"row": self.rows_of[id(appointment)]}
        return _("系统中已有的聘任（%(name)s，%(start)s 起）") % {
            "name": appointment.person.name,
            "start": appointment.appointed_on,
        }

    def _overlap(self, later, earlier) -> None:
        row = self.rows_of.get(id(later)) or self.rows_of.get(id(earlier))
        if row is None:  # both already in the registry: not this file's doing
            return
        self.error(
            row,
            APPOINTED,
            _("%(a)s与%(b)s的任期重叠：同一企业同一时间只能有一名已备案的在任首席质量官")
            % {"a": self._describe(later), "b": self._describe(earlier)},
        )

    def write(self):
        self.people.write()
        self.people.write_updates()
        for appointment in self.to_create:
            appointment.person_id = appointment._import_person.pk
        # The partial unique index (one current filed appointment per enterprise) is checked
        # row by row: end or unfile first, then make current, then insert.
        closing = [a for a in self.to_update if a.ended_on or not a.filed_on]
        opening = [a for a in self.to_update if not (a.ended_on or not a.filed_on)]
        fields = sorted(self.changed_fields)
        self.update(closing, Appointment, fields)
        self.update(opening, Appointment, fields)
        self.insert(self.to_create, Appointment)
        for filing in self.filings_to_create:
            filing.appointment_id = filing._import_appointment.pk
        self.insert(self.filings_to_create, Filing)
        self.update(self.filings_to_update, Filing, ["approved_on"])
        FilingEvent.objects.bulk_create(
            [
                FilingEvent(
                    filing=filing,
                    action="import",
                    from_status="",
                    to_status=FilingStatus.APPROVED,
                    actor=self.user,
                    note=self.change_reason,
                )
                for filing in self.filings_to_create
            ],
            batch_size=self.batch_size,
        )
