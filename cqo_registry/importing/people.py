"""Persons (CQOs) named in the appointments and training files, keyed by ID number."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from enterprises.models import Person
from enterprises.validators import check_id_number, mask_mobile, normalize_id_number

from .base import CREATED, UNCHANGED, UPDATED, Importer, RowRef, validation_reason
from .bulk import instance_factory


class PersonBook:
    """Every person loaded once; new persons collected for one bulk insert. A row naming a
    known ID number with another name is an error: a typo in the ID number would otherwise
    attach the record to a stranger.

    Mobile numbers: one file may give one person two (the same CQO at two enterprises, or a
    number changed between two filings). The mobile of the row with the latest appointment
    date is kept — whatever the order of the rows, so that importing the file again changes
    nothing — and the summary warns, naming both rows."""

    def __init__(self, importer: Importer, *, id_column: str, name_column: str, mobile_column=""):
        self.importer = importer
        self.id_column = id_column
        self.name_column = name_column
        self.mobile_column = mobile_column
        self.by_id = {p.id_number: p for p in Person.objects.all()}
        self.new: dict[str, Person] = {}
        self.first_row: dict[str, RowRef] = {}
        # id_number -> (appointment date, row, mobile) of the mobile the file gives
        self.mobiles: dict[str, tuple] = {}
        self.known_seen: dict[str, Person] = {}  # persons of the registry the file names
        self.make = instance_factory(Person)
        self.label = str(Person._meta.verbose_name)

    def resolve(self, row: RowRef, raw_id: str, name: str) -> Person | None:
        id_number = normalize_id_number(raw_id)
        person = self.by_id.get(id_number) or self.new.get(id_number)
        if person is None:
            # Numbers already in the registry were checked when they came in.
            try:
                check_id_number(raw_id)
            except ValidationError as exc:
                self.importer.error(row, self.id_column, validation_reason(exc))
                return None
            person = self.new[id_number] = self.make(name=name, id_number=id_number)
            self.first_row[id_number] = row
            self.importer.result.count(self.label, CREATED)
            return person
        if person.pk is not None:
            self.known_seen[id_number] = person
        if person.name != name:
            where = str(self.first_row[id_number]) if person.pk is None else _("系统中")
            self.importer.error(
                row,
                self.name_column,
                _("身份证号 %(id)s 在%(where)s登记的姓名是“%(known)s”，与“%(name)s”不符")
                % {
                    "id": person.masked_id_number,
                    "where": where,
                    "known": person.name,
                    "name": name,
                },
            )
            return None
        return person

    def give_mobile(self, person: Person, mobile: str, row: RowRef, appointed_on) -> None:
        """Note that ``row`` (an appointment from ``appointed_on``) gives ``person`` this
        mobile; :meth:`apply_mobiles` sets the one that wins."""
        if not mobile:
            return
        key = person.id_number
        chosen = self.mobiles.get(key)
        if chosen is None:
            self.mobiles[key] = (appointed_on, row, mobile)
            return
        if chosen[2] == mobile:
            return
        later = max(chosen, (appointed_on, row, mobile), key=lambda c: (c[0], c[1]))
        self.mobiles[key] = later
        self.importer.warn(
            row,
            self.mobile_column,
            _(
                "%(other)s与本行是同一人（身份证号 %(id)s），手机号不同（%(a)s、%(b)s）："
                "保存聘任日期较晚的%(kept)s的 %(mobile)s"
            )
            % {
                "other": chosen[1],
                "id": person.masked_id_number,
                "a": mask_mobile(chosen[2]),
                "b": mask_mobile(mobile),
                "kept": later[1],
                "mobile": mask_mobile(later[2]),
            },
        )

    def apply_mobiles(self) -> list[Person]:
        """Set each person's winning mobile; returns the stored persons it changed (and counts
        the registry's persons the file names as updated or unchanged)."""
        changed = []
        for id_number, (_day, _row, mobile) in self.mobiles.items():
            person = self.by_id.get(id_number) or self.new.get(id_number)
            if person is None or person.mobile == mobile:
                continue
            person.mobile = mobile
            if person.pk is not None:
                changed.append(person)
        self.importer.result.count(self.label, UPDATED, len(changed))
        self.importer.result.count(self.label, UNCHANGED, len(self.known_seen) - len(changed))
        return changed

    def write(self, changed: list[Person] = ()) -> None:
        self.importer.insert(list(self.new.values()), Person)
        self.importer.update(list(changed), Person, ["mobile"])
