"""The training file (培训记录, SPEC §4): one row per attendance. A session is keyed by its
title and date; a person by ID number (unknown persons are created with the given name)."""

from django.utils.translation import gettext_lazy

from cqo_registry.import_rows import update_existing
from cqo_registry.importing import CREATED, UNCHANGED, Column, Importer, parsers
from cqo_registry.importing.bulk import instance_factory
from cqo_registry.importing.columns import (
    date_column,
    id_number_column,
    person_name_column,
    yes_no_column,
)
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
    admin_changelist = "admin:training_trainingattendance_changelist"
    columns = [
        id_number_column(ID_NUMBER),
        person_name_column(NAME),
        Column(
            TITLE,
            "title",
            required=True,
            max_length=200,
            aliases=("培训班名称", "培训项目"),
            note=gettext_lazy("同一培训班每行写法一致（全角、半角括号视为相同）"),
            example="2021年质量月综合技能培训",
        ),
        date_column(
            DAY,
            "day",
            required=True,
            aliases=("培训时间",),
            note=gettext_lazy("培训开始的日期，如 2021-09-15"),
            example="2021-09-15",
        ),
        Column(
            HOURS,
            "hours",
            parsers.decimal_parser(places=1),
            aliases=("培训学时",),
            note=gettext_lazy("数字，可带一位小数"),
            example="8",
        ),
        yes_no_column(
            PASSED,
            "passed",
            aliases=("考核结果", "是否通过", "考试结果"),
            note=gettext_lazy("合格/不合格（或 是/否）"),
            example="合格",
        ),
    ]

    def load(self):
        self.people = PersonBook(self, id_column=ID_NUMBER, name_column=NAME)
        # Sessions are keyed by their folded title (full-width brackets and spaces as typed
        # must not split one session in two) and their date.
        self.sessions = {
            (parsers.fold(s.title), s.starts_on): s for s in TrainingSession.objects.all()
        }
        self.new_sessions: dict[tuple, TrainingSession] = {}
        self.seen_sessions: set[tuple] = set()
        self.existing = {(a.session_id, a.person_id): a for a in TrainingAttendance.objects.all()}
        self.seen: dict[tuple, tuple] = {}  # key -> (row, parsed values)
        self.to_create: list[TrainingAttendance] = []
        self.to_update: list[TrainingAttendance] = []
        self.changed_fields: set[str] = set()
        self.new_session = instance_factory(TrainingSession)
        self.new_attendance = instance_factory(TrainingAttendance)
        self.label = str(TrainingAttendance._meta.verbose_name)
        self.session_label = str(TrainingSession._meta.verbose_name)

    def _session(self, title: str, day, hours) -> TrainingSession:
        key = (parsers.fold(title), day)
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
        v["id_number"], v["title_key"] = person.id_number, parsers.fold(v["title"])
        key = (v["title_key"], v["day"], person.id_number)
        if self.seen_before(row, key, ID_NUMBER, v, alike=("title",)):
            return
        session = self._session(v["title"], v["day"], v.get("hours"))
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
        update_existing(self, row, existing, target, self.changed_fields)

    def check_file(self):
        self.people.apply_mobiles()  # no mobiles here: counts the registry's persons named

    def write(self):
        self.people.write()
        self.insert(list(self.new_sessions.values()), TrainingSession)
        for attendance in self.to_create:
            session, person = attendance._import_links
            attendance.session_id, attendance.person_id = session.pk, person.pk
        self.insert(self.to_create, TrainingAttendance)
        self.update(self.to_update, TrainingAttendance, sorted(self.changed_fields))
