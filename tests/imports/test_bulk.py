"""The bulk writer of imports (``cqo_registry/importing/bulk.py``) and the USCC check character
the importers use: the fast paths give what the slow ones give."""

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import signals
from stdnum.cn import uscc as std_uscc

from cqo_registry import clock
from cqo_registry.importing import bulk
from enterprises.models import Enterprise, Town
from enterprises.validators import USCC_ORDER, uscc_check_character, uscc_problem
from tests.conftest import on_postgres

from .conftest import make_uscc


def test_the_uscc_check_character_is_stdnums_on_random_codes():
    rng = random.Random(20261202)
    for _ in range(5000):
        body = "".join(rng.choice("0123456789") for _ in range(8)) + "".join(
            rng.choice(USCC_ORDER) for _ in range(9)
        )
        assert uscc_check_character(body) == std_uscc.calc_check_digit(body)
        assert uscc_check_character(body + "0") == std_uscc.calc_check_digit(body)


def test_a_code_with_a_wrong_check_character_is_refused_and_the_right_one_accepted():
    code = make_uscc(123)
    wrong = code[:-1] + ("1" if code[-1] != "1" else "2")
    assert uscc_problem(code) is None
    assert "校验位" in uscc_problem(wrong)


@pytest.mark.django_db
def test_instance_factory_fills_defaults_and_refuses_an_unknown_field():
    town = Town.objects.create(name="城关镇", code="340100000001")
    make = bulk.instance_factory(Enterprise)
    enterprise = make(uscc=make_uscc(1), name="甲公司", town_id=town.pk, industry="C")
    default = Enterprise(uscc=make_uscc(1), name="甲公司", town_id=town.pk, industry="C")
    for field in Enterprise._meta.concrete_fields:
        assert getattr(enterprise, field.attname) == getattr(default, field.attname), field.name
    assert enterprise._state.adding and enterprise._state.db is None
    assert enterprise.town == town  # the relation descriptor reads the attname's value
    with pytest.raises(TypeError, match="town"):
        make(uscc=make_uscc(2), name="乙公司", town=town)


@pytest.mark.django_db
def test_instance_factory_calls_the_constructor_when_something_listens_to_post_init():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.name)

    signals.post_init.connect(receiver, sender=Town)
    try:
        make = bulk.instance_factory(Town)
        make(name="新镇", code="340100000009")
    finally:
        signals.post_init.disconnect(receiver, sender=Town)
    assert seen == ["新镇"]


def test_the_copy_stream_gives_the_whole_csv_in_chunks_of_about_the_size_asked():
    rows = [
        [n, f"名称{n}", None if n % 3 else "a,b", date(2021, 1, n % 28 + 1)] for n in range(3000)
    ]
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\n").writerows(rows)
    stream = bulk._CsvStream(iter(rows))
    chunks = list(iter(lambda: stream.read(4096), ""))
    assert "".join(chunks) == expected.getvalue()
    assert len(chunks) > 5
    # Each chunk but the last holds at least the size asked and at most one more write of rows.
    assert all(len(chunk.encode()) >= 4096 for chunk in chunks[:-1])


@pytest.mark.django_db
def test_rows_inserted_in_bulk_share_one_stamp_from_the_injected_clock_and_get_history():
    town = Town.objects.create(name="城关镇", code="340100000001")
    make = bulk.instance_factory(Enterprise)
    objs = [
        make(uscc=make_uscc(n), name=f"企业{n}", town_id=town.pk, industry="C")
        for n in range(1, 2501)
    ]
    at = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    with clock.running_at(at):
        bulk.insert_with_history(objs, Enterprise, reason="导入")
    stored = Enterprise.objects.filter(town=town)
    assert stored.count() == 2500
    created = set(stored.values_list("created_at", flat=True))
    updated = set(stored.values_list("updated_at", flat=True))
    assert all(at <= stamp < at + timedelta(seconds=30) for stamp in created | updated)
    if on_postgres():
        # COPY path: one stamp per field for the whole insert, from the injected clock.
        assert len(created) == len(updated) == 1
    assert sorted(o.pk for o in objs) == sorted(stored.values_list("pk", flat=True))
    history = Enterprise.history.filter(town=town)
    assert history.count() == 2500
    assert set(history.values_list("history_type", flat=True)) == {"+"}
    by_id = {h.id: h for h in history}
    for enterprise in stored:
        row = by_id[enterprise.pk]
        for field in ("uscc", "name", "town_id", "industry", "created_at", "updated_at"):
            assert getattr(row, field) == getattr(enterprise, field), field


@pytest.mark.django_db
def test_instance_factory_sets_fields_whose_attribute_acts_on_assignment():
    """The ID number's lookup hash is set by assigning the number (cqo_registry/encryption.py):
    an instance made fast has the hash a constructed one has, and finds itself by number."""
    from enterprises.models import Person

    from .conftest import make_id

    number = make_id(7)
    made = bulk.instance_factory(Person)(name="张三", id_number=number)
    constructed = Person(name="张三", id_number=number)
    assert made.id_number_digest == constructed.id_number_digest != ""
    bulk.insert_with_history([made], Person)
    assert Person.objects.get(id_number=number).pk == made.pk
