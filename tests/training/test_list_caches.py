"""The training lists' cached figures (issue 15 §1): the untrained-CQO list's per-town counts
and keys, the sessions list's enrolled/passed counts. They are right at once after every write
they are counted from — an ORM save or delete, an import's bulk write, an enrolment — and the
pages show the same rows, in the same order, with the same totals as when they were counted
on every request."""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cqo_registry.importing import read_workbook, run_import
from enterprises.selectors import person_list
from tests.factories import (
    AppointmentFactory,
    EnterpriseFactory,
    TownFactory,
    TrainingAttendanceFactory,
    TrainingSessionFactory,
)
from tests.imports.conftest import TRAINING_HEADER, xlsx
from training import exports, services, signals
from training.importers import TrainingImporter
from training.models import TrainingAttendance, TrainingSession

pytestmark = pytest.mark.django_db

URL = "/training/untrained/"
PAST = date(2022, 5, 10)


def untrained_cqo(town, name=None):
    enterprise = EnterpriseFactory(town=town, **({"name": name} if name else {}))
    return AppointmentFactory(enterprise=enterprise)


def listed(client, **query) -> tuple[list[int], int, dict]:
    """The untrained list's keys on every page, its total and its per-town counts."""
    response = client.get(URL, query)
    page = response.context["page"]
    keys = [a.pk for a in page.object_list]
    for number in range(2, page.paginator.num_pages + 1):
        later = client.get(URL, {**query, "page": number}).context["page"]
        keys += [a.pk for a in later.object_list]
    counts = {row["enterprise__town__name"]: row["count"] for row in response.context["by_town"]}
    return keys, page.paginator.count, counts


def expected(user, **query) -> list[int]:
    """The list as counted without any cache: the whole ordered query."""
    _filter, rows = exports.untrained_rows(user, QueryDict("", mutable=True), timezone.localdate())
    if query:
        data = QueryDict("", mutable=True)
        data.update(query)
        _filter, rows = exports.untrained_rows(user, data, timezone.localdate())
    return list(rows.values_list("pk", flat=True))


@pytest.fixture
def seeded(home_town, other_town, monkeypatch):
    """Seven untrained CQOs in two towns (pages of 3 straddle the towns) and one trained."""
    from training.views import sessions

    monkeypatch.setattr(sessions, "PER_PAGE", 3)
    cqos = [untrained_cqo(other_town, name) for name in ["丙厂", "甲厂", "乙厂", "甲厂"]]
    cqos += [untrained_cqo(home_town, name) for name in ["戊厂", "丁厂", "己厂"]]
    trained = untrained_cqo(home_town, "庚厂")
    TrainingAttendanceFactory(
        person=trained.person, session=TrainingSessionFactory(starts_on=PAST, ends_on=PAST)
    )
    return cqos


def test_untrained_pages_are_the_whole_ordered_list(client_for, reviewer, seeded):
    client = client_for(reviewer)
    keys, total, _counts = listed(client)
    assert keys == expected(reviewer) and total == 7
    # Asked again (from the cache): the same.
    assert listed(client)[:2] == (keys, 7)


@pytest.mark.parametrize("query", [{}, {"q": "甲"}, {"town": "999999"}])
def test_untrained_rows_built_lazily_are_the_same_rows(reviewer, town_officer, seeded, query):
    """The list page builds its rows only when a cached figure is missing (``lazy``):
    the same rows, in the same order, as built at once."""
    data = QueryDict("", mutable=True)
    data.update(query)
    for user in (reviewer, town_officer):
        day = timezone.localdate()
        _filter, built = exports.untrained_rows(user, data, day)
        lazy_filter, lazy = exports.untrained_rows(user, data, day, lazy=True)
        assert list(lazy.values_list("pk", flat=True)) == list(built.values_list("pk", flat=True))
        assert lazy_filter.is_valid() == _filter.is_valid()


def test_untrained_cached_figures_follow_orm_writes(
    client_for, reviewer, seeded, home_town, other_town
):
    client = client_for(reviewer)
    listed(client)
    first = seeded[0]

    # A passed attendance of a session that has ended.
    TrainingAttendanceFactory(
        person=first.person, session=TrainingSessionFactory(starts_on=PAST, ends_on=PAST)
    )
    keys, total, _ = listed(client)
    assert first.pk not in keys and total == 6 and keys == expected(reviewer)

    # The session's end moved into the future: not trained yet.
    session = first.person.attendances.get().session
    session.ends_on = timezone.localdate() + timedelta(days=30)
    session.save()
    assert listed(client)[1] == 7

    # Its attendance failed after all, then removed.
    attendance = first.person.attendances.get()
    attendance.delete()
    assert listed(client)[1] == 7

    # The enterprise deregistered.
    enterprise = seeded[1].enterprise
    enterprise.deregistered_on = timezone.localdate() - timedelta(days=1)
    enterprise.save()
    assert listed(client)[1] == 6

    # The appointment ended.
    appointment = seeded[2]
    appointment.ended_on = timezone.localdate() - timedelta(days=1)
    appointment.end_reason = "resigned"
    appointment.save()
    keys, total, _ = listed(client)
    assert total == 5 and keys == expected(reviewer)

    # A new filed CQO.
    new = untrained_cqo(home_town)
    keys, total, _ = listed(client)
    assert new.pk in keys and total == 6

    # A town renamed: the per-town badge follows.
    other_town.name = "新名镇"
    other_town.save()
    assert "新名镇" in listed(client)[2]

    # A person renamed: the search by name follows.
    person = seeded[5].person
    assert listed(client, q="改名后")[1] == 0
    person.name = "改名后"
    person.save()
    assert listed(client, q="改名后")[:2] == ([seeded[5].pk], 1)


def test_untrained_list_is_right_at_once_after_an_import(client_for, reviewer, seeded):
    """A clerk imports the training file and opens the list: the trained are gone, the total
    is one less — no stale figure, though bulk writes send no signal."""
    client = client_for(reviewer)
    keys, total, counts = listed(client)
    cqo = seeded[3]
    data = xlsx(
        TRAINING_HEADER,
        [[cqo.person.id_number, cqo.person.name, "质量月综合技能培训", PAST, 16, "是"]],
    )
    importer = TrainingImporter(user=reviewer, file_name="培训.xlsx")
    result = run_import(importer, read_workbook(data, filename="培训.xlsx"))
    assert result.ok and result.written
    after, after_total, after_counts = listed(client)
    assert after == [pk for pk in keys if pk != cqo.pk] == expected(reviewer)
    assert after_total == total - 1
    town = cqo.enterprise.town.name
    assert after_counts[town] == counts[town] - 1


def test_every_import_that_writes_changes_the_version(reviewer, seeded):
    cqo = seeded[0]
    data = xlsx(
        TRAINING_HEADER,
        [[cqo.person.id_number, cqo.person.name, "任职培训", PAST, 8, "否"]],
    )
    before = signals.lists_version()
    dry = run_import(
        TrainingImporter(user=reviewer), read_workbook(data, filename="a.xlsx"), dry_run=True
    )
    assert dry.ok and signals.lists_version() == before  # nothing written
    run_import(TrainingImporter(user=reviewer), read_workbook(data, filename="a.xlsx"))
    assert signals.lists_version() != before


def test_enrolment_changes_the_sessions_counts_at_once(client_for, reviewer, seeded, home_town):
    """Enrolment inserts in bulk (no signal): it makes a new version itself."""
    client = client_for(reviewer)
    session = TrainingSessionFactory(
        starts_on=timezone.localdate() + timedelta(days=10),
        ends_on=timezone.localdate() + timedelta(days=10),
        capacity=None,
    )
    row = lambda: next(  # noqa: E731
        s for s in client.get("/training/").context["page"].object_list if s.pk == session.pk
    )
    assert row().enrolled == 0
    services.training_enrol_town(session=session, town=home_town, actor=reviewer)
    assert row().enrolled == session.attendances.count() == 4  # the town's filed CQOs


def test_one_commit_callback_per_transaction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            first = signals.lists_version()
            TownFactory()
            second = signals.lists_version()
            TownFactory()
            TownFactory()
    assert first != second  # at once, for the writer's own reads
    assert len(callbacks) == 1  # and once more at commit
    callbacks[0]()
    assert signals.lists_version() != second


def test_a_rolled_back_savepoint_does_not_lose_the_commit_callback(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    TownFactory()
                    raise RuntimeError
            except RuntimeError:
                pass
            TownFactory()
    assert len(callbacks) == 1


# --- The sessions list --------------------------------------------------------------------------


def _old_count_of(attendances):
    """The counts as the list computed them before (correlated subqueries per row)."""
    return Coalesce(
        Subquery(
            attendances.order_by().values("session").annotate(n=Count("*")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def old_session_rows(user) -> list[tuple]:
    attendances = TrainingAttendance.objects.filter(session=OuterRef("pk"))
    if user.role != "reviewer" and user.role != "leader":
        attendances = attendances.filter(person__in=person_list(user))
    rows = TrainingSession.objects.annotate(
        enrolled=_old_count_of(attendances),
        passed_count=_old_count_of(attendances.filter(passed=True)),
    ).order_by("-starts_on", "-pk")
    return [(s.pk, s.enrolled, s.passed_count) for s in rows]


@pytest.fixture
def sessions_seeded(home_town, other_town, monkeypatch):
    """Seven sessions (two on one day, one upcoming, one without attendances) with passed
    and failed attendances of CQOs of two towns; pages of 3."""
    from training.views import sessions

    monkeypatch.setattr(sessions, "PER_PAGE", 3)
    home = [untrained_cqo(home_town).person for _ in range(3)]
    other = [untrained_cqo(other_town).person for _ in range(2)]
    days = [date(2022, 3, 1), date(2022, 3, 1), date(2022, 4, 2), date(2021, 11, 5)]
    made = [TrainingSessionFactory(starts_on=d, ends_on=d + timedelta(days=1)) for d in days]
    made.append(TrainingSessionFactory(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 1)))
    made.append(TrainingSessionFactory(starts_on=date(2020, 1, 1), ends_on=date(2020, 1, 2)))
    soon = timezone.localdate() + timedelta(days=5)
    made.append(TrainingSessionFactory(starts_on=soon, ends_on=soon, hours=None, capacity=40))
    for index, session in enumerate(made[:5]):
        for n, person in enumerate(home + other):
            if (n + index) % 3:
                TrainingAttendanceFactory(session=session, person=person, passed=bool(n % 2))
    return made


@pytest.mark.parametrize("role", ["reviewer", "town_officer"])
def test_sessions_list_rows_order_and_counts_as_before(request, client_for, sessions_seeded, role):
    user = request.getfixturevalue(role)
    client = client_for(user)
    shown, body = [], ""
    first = client.get("/training/")
    for number in range(1, first.context["page"].paginator.num_pages + 1):
        response = client.get("/training/", {"page": number})
        assert response.context["page"].paginator.count == 7
        shown += [(s.pk, s.enrolled, s.passed_count) for s in response.context["page"].object_list]
        body += response.content.decode()
    assert shown == old_session_rows(user)
    for session in sessions_seeded:
        assert f'href="{reverse("training:session", args=[session.pk])}"' in body
    upcoming = sessions_seeded[-1]
    assert f"{upcoming.starts_on:%Y-%m-%d}</td>" in body  # one day: no range
    assert f"{date(2022, 3, 1):%Y-%m-%d} — {date(2022, 3, 2):%Y-%m-%d}" in body
    assert " / 40</td>" in body


def test_sessions_list_counts_come_from_the_cache_the_second_time(
    client_for, reviewer, sessions_seeded
):
    client = client_for(reviewer)
    client.get("/training/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/training/")
    assert not any("training_trainingattendance" in q["sql"] for q in queries)
    # A recorded pass shows at once.
    first_page = client.get("/training/").context["page"].object_list
    attendance = TrainingAttendance.objects.filter(
        passed=False, session__in=[s.pk for s in first_page]
    ).first()
    attendance.passed = True
    attendance.save()
    row = next(
        s
        for s in client.get("/training/").context["page"].object_list
        if s.pk == attendance.session_id
    )
    expected_passed = TrainingAttendance.objects.filter(
        session=attendance.session_id, passed=True
    ).count()
    assert row.passed_count == expected_passed


def count_queries(client, url, **query) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, query).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/training/", URL])
def test_query_counts_are_constant(client_for, reviewer, home_town, other_town, url):
    """Cold (after a write) and warm, the number of queries does not grow with the rows or
    with the towns a page straddles; the untrained list reads fewer warm (the counts are
    cached), the sessions list as many (cold, its page query carries the counts)."""
    client = client_for(reviewer)
    for _ in range(2):
        TrainingSessionFactory()
        untrained_cqo(home_town)
    cold = count_queries(client, url)
    warm = count_queries(client, url)
    for _ in range(60):
        session = TrainingSessionFactory()
        TrainingAttendanceFactory(session=session, passed=False)
        untrained_cqo(other_town)
    assert count_queries(client, url) == cold
    assert count_queries(client, url) == warm
    assert warm < cold if url == URL else warm == cold
    # A page straddling the two towns, warm: no more queries.
    if url == URL:
        count_queries(client, url, page=2)
        assert count_queries(client, url, page=2) == warm


def test_filter_fields_follow_what_is_asked_and_the_towns(client_for, reviewer, home_town):
    """The filter fields are rendered from the cache: keyed by the values asked (an invalid
    year still shows its error), by the user's scope and by the data version (a renamed
    town is offered under its new name at once)."""
    client = client_for(reviewer)
    assert home_town.name in client.get(URL).content.decode()
    home_town.name = "改名镇"
    home_town.save()
    body = client.get(URL).content.decode()
    assert f'<option value="{home_town.pk}">改名镇</option>' in body
    body = client.get(URL, {"town": home_town.pk}).content.decode()
    assert f'<option value="{home_town.pk}" selected>改名镇</option>' in body
    client.get("/training/")
    bad = client.get("/training/", {"year": "abc"}).content.decode()
    assert "is-invalid" in bad and "is-invalid" not in client.get("/training/").content.decode()


def test_a_silent_move_to_another_town_never_shows_in_the_old_towns_cached_page(
    client_for, town_officer, seeded, other_town
):
    """The page's keys are cached and renewed by ORM signals; a write that sends none (here
    ``QuerySet.update``) leaves them in place for up to ten minutes. The page's rows are read
    under the user's scope again, so an enterprise moved away drops out of the old town's
    page at once rather than showing there with its CQO's name and ID number."""
    from enterprises.models import Enterprise

    officer = client_for(town_officer)
    shown, _total, _counts = listed(officer)
    moved = seeded[4]  # one of the officer's town's CQOs
    assert moved.pk in shown
    Enterprise.objects.filter(pk=moved.enterprise_id).update(town=other_town)
    after, _total, _counts = listed(officer)
    assert moved.pk not in after
    assert set(after) <= set(shown)
