"""The legacy filings file (首席质量官备案, SPEC §4): one row per appointment, keyed by
(enterprise USCC, ID number, appointment date). A filing date makes the appointment filed and
records one approved, imported ``appoint`` filing for it."""

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry.import_rows import update_existing
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
from cqo_registry.importing.columns import (
    date_column,
    id_number_column,
    person_name_column,
    uscc_column,
    yes_no_column,
)
from cqo_registry.importing.people import PersonBook
from enterprises.models import Enterprise
from enterprises.validators import normalize_uscc, validate_mobile

from .models import (
    CQO_POST,
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
    admin_changelist = "admin:appointments_appointment_changelist"
    columns = [
        uscc_column(
            USCC, note=gettext_lazy("企业的 18 位代码，企业须已在企业名录中；本列须为文本格式")
        ),
        person_name_column(
            NAME,
            aliases=("首席质量官姓名", "首席质量官"),
            note=gettext_lazy("首席质量官的姓名，与身份证一致"),
        ),
        id_number_column(ID_NUMBER),
        Column(
            POSITION,
            "position",
            required=True,
            max_length=100,
            aliases=("职位", "现任职务"),
            note=gettext_lazy("在企业担任的职务"),
            example="副总经理",
        ),
        yes_no_column(
            SENIOR,
            "is_senior_manager",
            aliases=("是否为高层管理人员", "是否企业高层管理人员"),
            note=gettext_lazy("是/否；空着视为“是”"),
            example="是",
        ),
        yes_no_column(
            PRINCIPAL,
            "is_principal",
            aliases=("是否为主要负责人", "是否企业主要负责人"),
            note=gettext_lazy("是/否；空着视为“否”"),
            example="否",
        ),
        date_column(
            APPOINTED,
            "appointed_on",
            required=True,
            aliases=("任命日期",),
            note=gettext_lazy("日期，如 2021-01-05"),
            example="2021-01-05",
        ),
        date_column(
            ENDED,
            "ended_on",
            aliases=("解聘（离职）日期", "离任日期"),
            note=gettext_lazy("已解聘的填解聘日期，在任的空着"),
        ),
        date_column(
            FILED,
            "filed_on",
            note=gettext_lazy("局里备案的日期；空着表示尚未备案"),
            example="2021-01-20",
        ),
        Column(
            MOBILE,
            "mobile",
            parsers.phone,
            aliases=("手机号", "手机号码", "联系手机"),
            note=gettext_lazy("11 位手机号"),
            example="13900000000",
        ),
    ]

    def load(self):
        self.enterprises = {}
        self.established: dict[int, object] = {}
        for uscc, pk, established in Enterprise.objects.values_list("uscc", "id", "established_on"):
            self.enterprises[uscc] = pk
            self.established[pk] = established
        self.people = PersonBook(self, id_column=ID_NUMBER, name_column=NAME, mobile_column=MOBILE)
        self.existing = {
            (a.enterprise_id, a.person_id, a.appointed_on): a
            for a in Appointment.objects.filter(post=CQO_POST).select_related("person")
        }
        # Approved appoint/change filings: an appointment that has one gets no new one.
        self.filings = defaultdict(list)
        for filing in Filing.objects.filter(
            status=FilingStatus.APPROVED, kind__in=[FilingKind.APPOINT, FilingKind.CHANGE]
        ):
            self.filings[filing.appointment_id].append(filing)
        self.seen: dict[tuple, tuple] = {}  # key -> (row, parsed values)
        self.rows_of: dict[int, object] = {}  # id(appointment) -> row
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
        v["uscc"] = normalize_uscc(v["uscc"])
        enterprise_id = self.enterprises.get(v["uscc"])
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
        if filed and filed < appointed:
            self.warn(row, FILED, _("备案日期早于聘任日期（%(day)s），请核对") % {"day": appointed})
        established = self.established.get(enterprise_id)
        if established and appointed < established:
            self.warn(
                row,
                APPOINTED,
                _("聘任日期早于企业的成立日期（%(day)s），请核对") % {"day": established},
            )
        if person is None or not ok:
            return
        v["id_number"] = person.id_number

        key = (enterprise_id, person.pk or person.id_number, appointed)
        if self.seen_before(row, key, ID_NUMBER, v):
            return
        self.people.give_mobile(person, mobile, row, appointed)
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
            update_existing(self, row, existing, target, self.changed_fields)
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
        self.changed_persons = self.people.apply_mobiles()
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
            return str(self.rows_of[id(appointment)])
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
        self.people.write(self.changed_persons)
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
