"""Persons (CQOs) named in the appointments and training files, keyed by ID number."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import ric

from enterprises.models import Person
from enterprises.validators import normalize_id_number, validate_id_number

from .base import CREATED, UPDATED, Importer, validation_reason
from .bulk import instance_factory


class PersonBook:
    """Every person loaded once; new persons collected for one bulk insert. A row naming a
    known ID number with another name is an error: a typo in the ID number would otherwise
    attach the record to a stranger."""

    def __init__(self, importer: Importer, *, id_column: str, name_column: str):
        self.importer = importer
        self.id_column = id_column
        self.name_column = name_column
        self.by_id = {p.id_number: p for p in Person.objects.all()}
        self.new: dict[str, Person] = {}
        self.changed: dict[str, Person] = {}
        self.first_row: dict[str, int] = {}
        self.make = instance_factory(Person)
        self.label = str(Person._meta.verbose_name)

    def resolve(self, row: int, raw_id: str, name: str) -> Person | None:
        id_number = normalize_id_number(raw_id)
        person = self.by_id.get(id_number) or self.new.get(id_number)
        if person is None:
            if not ric.is_valid(id_number) or len(id_number) != 18:
                try:
                    validate_id_number(id_number)
                except ValidationError as exc:
                    self.importer.error(row, self.id_column, validation_reason(exc))
                    return None
            person = self.new[id_number] = self.make(name=name, id_number=id_number)
            self.first_row[id_number] = row
            self.importer.result.count(self.label, CREATED)
            return person
        if person.name != name:
            if id_number in self.first_row:
                where = _("第 %(row)d 行") % {"row": self.first_row[id_number]}
            else:
                where = _("系统中")
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

    def write(self) -> None:
        self.importer.insert(list(self.new.values()), Person)

    def set_mobile(self, person: Person, mobile: str) -> None:
        """A mobile number in the file replaces the stored one (the newest file wins)."""
        if not mobile or person.mobile == mobile:
            return
        person.mobile = mobile
        if person.pk is not None and person.id_number not in self.changed:
            self.changed[person.id_number] = person
            self.importer.result.count(self.label, UPDATED)

    def write_updates(self) -> None:
        self.importer.update(list(self.changed.values()), Person, ["mobile"])
