"""The training file (培训记录, SPEC §4): one row per attendance. A session is keyed by its
title and date; a person by ID number (unknown persons are created with the given name)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry.importing import CREATED, UNCHANGED, UPDATED, Column, Importer, parsers
from cqo_registry.importing.bulk import instance_factory
from cqo_registry.importing.people import PersonBook

from .models import TrainingAttendance, TrainingSession

# Column headers are the file format of SPEC §4: the same Chinese words in every
# UI language, so they are plain strings, not translated.
ID_NUMBER = "身份证号"
NAME = "姓名"
TITLE = "培训名称"
DAY = "培训日期"
HOURS = "学时"
PASSED = "是否合格"


class TrainingImporter(Importer):
    kind = "training"
    title = gettext_lazy("培训记录")
    columns = [
        Column(ID_NUMBER, "id_number", required=True),
        Column(NAME, "name", required=True, max_length=50),
        Column(TITLE, "title", required=True, max_length=200),
        Column(DAY, "day", parsers.parse_date, required=True),
        Column(HOURS, "hours", parsers.decimal_parser(places=1)),
        Column(PASSED, "passed", parsers.parse_bool),
    ]

    def load(self):
        self.people = PersonBook(self, id_column=ID_NUMBER, name_column=NAME)
        self.sessions = {(s.title, s.starts_on): s for s in TrainingSession.objects.all()}
        self.new_sessions: dict[tuple, TrainingSession] = {}
        self.seen_sessions: set[tuple] = set()
        self.existing = {(a.session_id, a.person_id): a for a in TrainingAttendance.objects.all()}
        self.seen: dict[tuple, int] = {}
        self.to_create: list[TrainingAttendance] = []
        self.to_update: list[TrainingAttendance] = []
        self.changed_fields: set[str] = set()
        self.new_session = instance_factory(TrainingSession)
        self.new_attendance = instance_factory(TrainingAttendance)
        self.label = str(TrainingAttendance._meta.verbose_name)
        self.session_label = str(TrainingSession._meta.verbose_name)

    def _session(self, title: str, day, hours) -> TrainingSession:
        key = (title, day)
        session = self.sessions.get(key) or self.new_sessions.get(key)
        if session is None:
            # The first row of a new session gives its hours; existing sessions are left
            # as the bureau recorded them.
            session = self.new_sessions[key] = self.new_session(
                title=title, starts_on=day, ends_on=day, hours=hours
            )
            self.result.count(self.session_label, CREATED)
        elif session.pk and key not in self.seen_sessions:
            self.result.count(self.session_label, UNCHANGED)
        self.seen_sessions.add(key)
        return session

    def check_row(self, row, v, present):
        person = self.people.resolve(row, v["id_number"], v["name"])
        if person is None:
            return
        session = self._session(v["title"], v["day"], v.get("hours"))
        key = (v["title"], v["day"], person.id_number)
        if key in self.seen:
            self.error(
                row,
                ID_NUMBER,
                _("与第 %(row)d 行重复（同一人、同一培训）") % {"row": self.seen[key]},
            )
            return
        self.seen[key] = row
        target = {"passed": bool(v.get("passed")), "hours": v.get("hours"), "attended": True}
        existing = self.existing.get((session.pk, person.pk)) if session.pk and person.pk else None
        if existing is None:
            attendance = self.new_attendance(**target)
            attendance._import_links = (session, person)
            self.to_create.append(attendance)
            self.outcome(row, self.label, CREATED, attendance)
            return
        if "hours" not in present:
            target["hours"] = existing.hours
        changed = [n for n, value in target.items() if getattr(existing, n) != value]
        for name in changed:
            setattr(existing, name, target[name])
        if changed:
            self.changed_fields.update(changed)
            self.to_update.append(existing)
        self.outcome(row, self.label, UPDATED if changed else UNCHANGED, existing)

    def write(self):
        self.people.write()
        self.insert(list(self.new_sessions.values()), TrainingSession)
        for attendance in self.to_create:
            session, person = attendance._import_links
            attendance.session_id, attendance.person_id = session.pk, person.pk
        self.insert(self.to_create, TrainingAttendance)
        self.update(self.to_update, TrainingAttendance, sorted(self.changed_fields))
