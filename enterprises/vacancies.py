"""Vacancies (SPEC §2 空缺): the scoped list town officers and the bureau chase, and the
workflows that chase them — a follow-up note, a manual reminder, and the daily run that
reminds every overdue vacancy once a day.

What counts as a vacancy, and since when, is the dashboards' definition
(``appointments.registry.vacant_enterprises`` / ``vacant_since`` / ``overdue``), reused
here so the list a town officer works through is the same set the figures count.

Writes are service functions (keyword-only, ``actor``, one transaction each) that raise
``ValidationError`` with a message a user can act on.
"""

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appointments.models import CQO_POST, Filing, FilingStatus
from appointments.registry import (
    days_vacant,
    is_overdue,
    overdue,
    overdue_before,
    vacant_enterprises,
)
from cqo_registry import clock, data_version, keyed_statements, versioned_cache
from cqo_registry.accounts import access, notifications
from cqo_registry.accounts.models import NotificationKind, Role, User

from .models import Enterprise, ReminderKind, VacancyNote, VacancyReminder
from .validators import normalize_uscc

# A filing in one of these states means the enterprise is already doing something about
# its vacancy; the list shows it so nobody chases an enterprise waiting for review.
IN_PROGRESS_STATUSES = (FilingStatus.SUBMITTED, FilingStatus.RETURNED, FilingStatus.DRAFT)


# The list's order (:func:`vacancy_list`, :func:`vacancy_keys`): oldest vacancy first, then by
# name, the id last so that equal names keep one order from page to page.
VACANCY_ORDER = ("vacancy_start", "name", "pk")


# --- Reads ----------------------------------------------------------------------------------


def vacancy_list(
    user, *, day: date | None = None, town_id: int | None = None, search: str = "", post=None
) -> QuerySet[Enterprise]:
    """Vacant enterprises at ``day`` (default today) that ``user`` may see — a town officer
    their town, bureau roles the county — for the CQO's post, or for ``post`` (a
    ``PostType``, issue 19: ``appointments.posts.post_vacancies``), annotated for the list
    and its export:
    ``vacancy_start``, ``overdue``, ``filing_status`` (of the latest filing in progress),
    ``last_note_text`` / ``last_note_at`` / ``last_note_author`` and ``last_reminder_on`` /
    ``last_reminder_kind``. Oldest vacancies first, so overdue ones lead. A fixed number of
    queries whatever the number of rows (correlated subqueries, no per-row reads)."""
    day = day or clock.localdate()
    post_code = post.code if post is not None else CQO_POST
    search = search.strip()
    if post_code != CQO_POST:  # another post's conditions are rows: built each time
        return _vacancy_list(user, day=day, town_id=town_id, search=search, post=post)
    # The CQO's list is built once per process for each day, scope, filter and limit, and
    # cloned: building its annotations cost ~2 ms of every vacancy page (issue 15 §1). A
    # built queryset holds no rows (only clones are evaluated).
    key = (day, vacancy_scope_key(user), town_id, search, settings.CQO_VACANCY_LIMIT_DAYS)
    with _BUILT_LOCK:
        built = _BUILT.get(key)
        if built is not None:
            _BUILT.move_to_end(key)
    if built is None:
        built = _vacancy_list(user, day=day, town_id=town_id, search=search, post=None)
        with _BUILT_LOCK:
            _BUILT[key] = built
            while len(_BUILT) > 256:
                _BUILT.popitem(last=False)
    return built.all()


# Built CQO vacancy lists of :func:`vacancy_list`, least recently used first out.
_BUILT: OrderedDict = OrderedDict()
_BUILT_LOCK = threading.Lock()


def _vacancy_list(user, *, day: date, town_id, search: str, post) -> QuerySet[Enterprise]:
    """:func:`vacancy_list`, built anew (``search`` already stripped)."""
    from appointments.posts import post_vacancies

    post_code = post.code if post is not None else CQO_POST
    vacant = vacant_enterprises(day) if post_code == CQO_POST else post_vacancies(post, day)
    queryset = access.scope(
        vacant.select_related("town"),
        user,
        town_field="town",
        enterprise_field=None,
    )
    if town_id:
        queryset = queryset.filter(town=town_id)
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search) | Q(uscc__contains=normalize_uscc(search))
        )
    in_progress = Filing.objects.filter(
        enterprise=OuterRef("pk"), status__in=IN_PROGRESS_STATUSES, post=post_code
    ).order_by("-created_at", "-pk")
    last_note = VacancyNote.objects.filter(enterprise=OuterRef("pk")).order_by("-created_at", "-pk")
    last_reminder = VacancyReminder.objects.filter(enterprise=OuterRef("pk")).order_by(
        "-sent_on", "-created_at", "-pk"
    )
    return queryset.annotate(
        overdue=ExpressionWrapper(overdue(day), output_field=BooleanField()),
        filing_status=Subquery(in_progress.values("status")[:1]),
        last_note_text=Subquery(last_note.values("text")[:1]),
        last_note_at=Subquery(last_note.values("created_at")[:1]),
        # The author as the vacancy page names them: full name, else the username.
        last_note_author=Subquery(
            last_note.annotate(
                author_shown=Coalesce(
                    NullIf(
                        Trim(Concat("author__first_name", Value(" "), "author__last_name")),
                        Value(""),
                    ),
                    "author__username",
                )
            ).values("author_shown")[:1]
        ),
        last_reminder_on=Subquery(last_reminder.values("sent_on")[:1]),
        last_reminder_kind=Subquery(last_reminder.values("kind")[:1]),
        # Oldest vacancy first: the longest open are the overdue ones, so they lead.
    ).order_by(*VACANCY_ORDER)


# What a row of the vacancy page prints (``views.town._row_html``): the enterprise's columns,
# its town's name (``town_name``, "" without a town) and :func:`vacancy_list`'s annotations.
PAGE_VALUES = ("pk", "name", "uscc", "town_id")
PAGE_ANNOTATIONS = (
    "vacancy_start",
    "overdue",
    "filing_status",
    "last_note_text",
    "last_note_at",
    "last_note_author",
    "last_reminder_on",
    "last_reminder_kind",
)


def vacancy_page_rows(user, day: date, ids: list[int], *, post=None) -> list[SimpleNamespace]:
    """The vacancy page's rows of enterprises ``ids`` (a page's keys, already chosen by the
    list's filters and order: :func:`cached_vacancy_keys`), in any order, as plain rows
    (:data:`PAGE_VALUES`, ``town_name`` and :data:`PAGE_ANNOTATIONS` as attributes); an id
    no longer vacant at ``day``, or outside ``user``'s scope, is left out. One query (none
    for no ids).

    The statement is :func:`vacancy_list` (scope and post; the town, search and overdue
    filters already chose the ids) narrowed to the ids. For the CQO's post it is compiled
    once per process for each day, scope, vacancy limit, time zone and number of ids
    (``cqo_registry.keyed_statements``, issue 15 §1: building its seven subqueries and 50
    model instances was half of the page's CPU); another post's conditions are rows, read
    to build it, so its statement is built each time."""
    if not ids:
        return []

    def build(keys):
        narrowed = vacancy_list(user, day=day, post=post).order_by().filter(pk__in=keys)
        return narrowed.values(
            *PAGE_VALUES, *PAGE_ANNOTATIONS, town_name=Coalesce(F("town__name"), Value(""))
        )

    if post is not None and post.code != CQO_POST:
        return [SimpleNamespace(**row) for row in build(ids)]
    using = Enterprise.objects.db
    memo = (
        "vacancy page",
        day,
        access.scope_identity(user),
        settings.CQO_VACANCY_LIMIT_DAYS,
        timezone.get_current_timezone_name(),  # the vacancy start reads it
    )
    statement = keyed_statements.keyed_statement(memo, len(ids), build, using)
    if statement is None:  # a scope that sees nothing
        return []
    return [SimpleNamespace(**row) for row in statement.rows(ids, using)]


@dataclass(frozen=True)
class VacancyKeys:
    """One page of a vacancy list by its keys (:func:`vacancy_keys`).

    ``rows``: ``(enterprise id, vacancy start)`` of the page, in the list's order;
    ``total``: the vacancies of the whole list; ``overdue``: how many of them are overdue."""

    rows: list[tuple[int, date]]
    total: int
    overdue: int


def vacancy_keys(
    rows: QuerySet[Enterprise], day: date, *, offset: int = 0, limit: int | None = None
) -> VacancyKeys:
    """The page ``[offset, offset + limit)`` of ``rows`` (a :func:`vacancy_list`, filtered as
    the user asked; ``limit=None``: every row) in the list's order (:data:`VACANCY_ORDER`),
    with the whole list's count and overdue count at ``day`` (SPEC §2 "vacancies older than
    the limit are overdue") — one SQL statement; a second (a count) only when ``offset`` is
    past the end, so that the caller can show the last page instead.

    Why (issue 15 §1): counting, counting the overdue and sorting for the page each worked
    out every vacancy's start — a correlated subquery over the appointments per enterprise
    — once more over the whole scope. Here the start is computed once per enterprise in a
    derived table that PostgreSQL may not inline (``OFFSET 0``: a subquery with an offset is
    never pulled up into the query around it, so the ordering and the counts read the
    computed column instead of recomputing the expression), and the counts are window
    aggregates over it, read off the page's rows."""
    connection = connections[rows.db]
    inner = rows.order_by().values("pk", "name", "vacancy_start")
    try:
        inner_sql, inner_params = inner.query.get_compiler(using=rows.db).as_sql()
    except EmptyResultSet:  # ``.none()``, e.g. the scope of a user who may see nothing
        return VacancyKeys(rows=[], total=0, overdue=0)
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    page_sql, page_params = "", []
    if limit is not None:
        page_sql, page_params = " LIMIT %s OFFSET %s", [limit, offset]
    elif offset:
        raise ValueError("vacancy_keys: an offset needs a limit")
    # The derived table's columns are named by the CTE (the values() query names them after
    # its own aliases, which differ between Django's compilers).
    sql = (
        f"WITH vacancy (id, name, vacancy_start) AS ({inner_sql}{fence}) "
        "SELECT id, vacancy_start, COUNT(*) OVER (), "
        "SUM(CASE WHEN vacancy_start < %s THEN 1 ELSE 0 END) OVER () "
        f"FROM vacancy ORDER BY vacancy_start, name, id{page_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, overdue_before(day), *page_params])
        fetched = cursor.fetchall()
    if fetched:
        return VacancyKeys(
            rows=[(pk, _as_date(start)) for pk, start, _total, _overdue in fetched],
            total=fetched[0][2],
            overdue=fetched[0][3] or 0,
        )
    if not offset:
        return VacancyKeys(rows=[], total=0, overdue=0)
    counts = rows.order_by().aggregate(total=Count("pk"), overdue=Count("pk", filter=overdue(day)))
    return VacancyKeys(rows=[], total=counts["total"], overdue=counts["overdue"])


# How long a cached page of keys is kept at most (seconds). The data version makes an entry
# unreachable at the first write; this only bounds what an unforeseen path could serve (a
# database restored under a live cache) and lets unused entries go.
KEYS_CACHE_SECONDS = 600


def vacancy_scope_key(user) -> str:
    """Who may share a cached vacancy list: the county (bureau roles), one town (its
    officers), else the user alone. (The rule of ``training.selectors.scope_key``, which an
    app below training may not import.)"""
    if access.sees_whole_county(user):
        return "county"
    if access.is_town_officer(user):
        return f"town:{user.town_id}"
    return f"user:{user.pk}"


def cached_vacancy_keys(
    rows: QuerySet[Enterprise],
    day: date,
    *,
    user,
    offset: int = 0,
    limit: int | None = None,
    version: str | None = None,
    filters: list | None = None,
) -> VacancyKeys:
    """:func:`vacancy_keys` of the same arguments, kept in the cache (issue 15: the county's
    list worked out every vacancy's start on every request, ~0.5 s at 100,000 enterprises).

    The key holds the data version of the vacancy tables (``cqo_registry.data_version``,
    moved by the database on every write to enterprises, towns, appointments and posts,
    however made; ``version`` when the caller has read it already, else read here), ``day``,
    the overdue limit (SPEC §2), ``user``'s scope (:func:`vacancy_scope_key`: never shared
    between towns, nor between a town and the county), the page (``offset``, ``limit``) and
    what ``rows`` selects: ``filters`` when given — a JSON-serialisable list of every filter
    the caller applied to ``user``'s :func:`vacancy_list` of ``day`` to make ``rows``
    (``exports.filtered_vacancies``' ``form.applied``), which saves compiling the list's
    SQL on every request (~4 ms) — else the SQL of ``rows`` with its parameters. A hit
    costs one query (the version, on the database ``rows`` reads from) or none with
    ``version``; a miss one more than :func:`vacancy_keys`. Only the keys and the two
    counts are kept; the page's rows, notes and reminders are read fresh. Raises what
    :func:`vacancy_keys` raises."""
    if filters is None:
        try:
            sql, params = rows.order_by().query.get_compiler(using=rows.db).as_sql()
        except EmptyResultSet:
            return VacancyKeys(rows=[], total=0, overdue=0)
        selected = ["sql", sql, list(params)]
    else:
        selected = ["filters", filters]
    # The version first: a write committed while the keys are computed leaves them under
    # the older version, where they are newer than it, never older.
    if version is None:
        version = data_version.current_version(data_version.VACANCIES, using=rows.db)
    database = connections[rows.db].settings_dict["NAME"]
    text = json.dumps(
        [
            str(database),
            version,
            day,
            overdue_before(day),
            vacancy_scope_key(user),
            offset,
            limit,
            *selected,
        ],
        ensure_ascii=False,
        default=str,
    )
    key = "vacancies:keys:" + hashlib.sha256(text.encode()).hexdigest()
    keys = versioned_cache.get(key)
    if keys is None:
        keys = vacancy_keys(rows, day, offset=offset, limit=limit)
        versioned_cache.set(key, keys, KEYS_CACHE_SECONDS)
    return keys


def _as_date(value) -> date:
    # SQLite hands a computed date back as its ISO text (no declared column type to convert by).
    return value if isinstance(value, date) else date.fromisoformat(value)


def days_open(enterprise: Enterprise, day: date) -> int:
    """Days since ``enterprise.vacancy_start`` (an annotation of :func:`vacancy_list`)."""
    return days_vacant(enterprise.vacancy_start, day)


@dataclass(frozen=True)
class VacancyState:
    """Whether an enterprise is vacant at ``day`` and, if so, since when."""

    vacant: bool
    start: date | None = None
    days_open: int | None = None
    overdue: bool = False


def vacancy_state(enterprise: Enterprise, day: date | None = None) -> VacancyState:
    day = day or clock.localdate()
    row = vacant_enterprises(day).filter(pk=enterprise.pk).values("vacancy_start").first()
    if row is None:
        return VacancyState(vacant=False)
    start = row["vacancy_start"]
    return VacancyState(
        vacant=True,
        start=start,
        days_open=days_vacant(start, day),
        overdue=is_overdue(start, day),
    )


# --- Writes ---------------------------------------------------------------------------------


def _require_vacant(enterprise: Enterprise, day: date) -> VacancyState:
    state = vacancy_state(enterprise, day)
    if not state.vacant:
        raise ValidationError(
            _("该企业目前不在空缺名单中（已有备案在任的首席质量官，或无需聘任、已注销）。")
        )
    return state


@transaction.atomic
def vacancy_add_note(*, enterprise: Enterprise, text: str, actor: User) -> VacancyNote:
    """Record a follow-up note (跟进情况) on a vacant enterprise, signed by ``actor``."""
    _require_vacant(enterprise, clock.localdate())
    note = VacancyNote(enterprise=enterprise, author=actor, text=text.strip())
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def vacancy_send_reminder(*, enterprise: Enterprise, actor: User) -> VacancyReminder:
    """Remind a vacant enterprise's users to appoint and file a CQO (in-app and email), and
    record the reminder. At most one manual reminder per enterprise and day, so that two
    officers clicking at once do not both send one."""
    today = clock.localdate()
    # Lock the enterprise row: concurrent reminders for it queue here, then see each other.
    enterprise = Enterprise.objects.select_for_update(of=("self",)).get(pk=enterprise.pk)
    state = _require_vacant(enterprise, today)
    if VacancyReminder.objects.filter(
        enterprise=enterprise, kind=ReminderKind.MANUAL, sent_on=today
    ).exists():
        raise ValidationError(_("今天已向该企业发送过提醒，请明天再发送。"))
    recipients = notifications.enterprise_users(enterprise.pk)
    if not recipients:
        raise ValidationError(
            _("该企业还没有已激活的系统账号，无法发送站内提醒，请电话联系并记录跟进情况。")
        )
    reminder = VacancyReminder(
        enterprise=enterprise, kind=ReminderKind.MANUAL, sent_on=today, sent_by=actor
    )
    reminder.full_clean()
    reminder.save()
    with translation.override(settings.LANGUAGE_CODE):
        notifications.notify(
            users=recipients,
            kind=NotificationKind.VACANCY_REMINDER,
            title=_("请尽快聘任首席质量官并办理备案"),
            body=_(
                "贵企业首席质量官已空缺 %(days)s 天（自 %(start)s 起）。"
                "请尽快聘任首席质量官并在本系统在线办理备案。"
            )
            % {"days": state.days_open, "start": state.start.isoformat()},
            url=reverse("portal:home"),
        )
    return reminder


# --- The daily overdue run ------------------------------------------------------------------


def overdue_vacancies(day: date) -> QuerySet[Enterprise]:
    """Vacancies older than the limit at ``day`` that have not had their overdue reminder of
    that day yet (one query)."""
    reminded = VacancyReminder.objects.filter(kind=ReminderKind.OVERDUE, sent_on=day)
    return (
        vacant_enterprises(day)
        .filter(overdue(day))
        .exclude(pk__in=reminded.values("enterprise_id"))
        .order_by("vacancy_start", "pk")
    )


def _recipients_by_scope(enterprises: list[Enterprise]) -> tuple[dict, dict]:
    """Active enterprise users by enterprise id and town officers by town id, read in one
    query for the whole run."""
    users = User.objects.filter(is_active=True).filter(
        Q(role=Role.ENTERPRISE, enterprise_id__in={e.pk for e in enterprises})
        | Q(role=Role.TOWN_OFFICER, town_id__in={e.town_id for e in enterprises})
    )
    by_enterprise: dict[int, list[User]] = {}
    by_town: dict[int, list[User]] = {}
    for user in users.order_by("pk"):
        if user.role == Role.ENTERPRISE:
            by_enterprise.setdefault(user.enterprise_id, []).append(user)
        else:
            by_town.setdefault(user.town_id, []).append(user)
    return by_enterprise, by_town


@transaction.atomic
def vacancy_remind_overdue(
    *,
    enterprise: Enterprise,
    day: date,
    enterprise_users: list[User],
    town_officers: list[User],
    actor: User | None = None,
    email: bool = True,
) -> VacancyReminder | None:
    """Record one enterprise's overdue reminder of ``day`` and notify its users and its
    town's officers (in-app, and by e-mail unless ``email`` is false: the reminder schedule's
    channels). Returns ``None`` when that reminder already exists (a concurrent or
    repeated run): the unique constraint decides, and the notifications' dedupe key
    ``vacancy-overdue:<enterprise id>:<day>`` would also keep them single."""
    try:
        with transaction.atomic():
            reminder = VacancyReminder.objects.create(
                enterprise=enterprise, kind=ReminderKind.OVERDUE, sent_on=day, sent_by=actor
            )
    except IntegrityError:
        return None
    days = days_vacant(enterprise.vacancy_start, day)
    values = {
        "name": enterprise.name,
        "days": days,
        "start": enterprise.vacancy_start.isoformat(),
        "limit": settings.CQO_VACANCY_LIMIT_DAYS,
    }
    with translation.override(settings.LANGUAGE_CODE):
        notify_overdue(
            enterprise_users=enterprise_users,
            to_enterprise=(
                _("贵企业首席质量官空缺已超期（%(days)s 天）") % values,
                _(
                    "贵企业自 %(start)s 起没有备案在任的首席质量官，已超过 %(limit)s 天的期限。"
                    "请尽快聘任首席质量官并在本系统在线办理备案。"
                )
                % values,
            ),
            town_officers=town_officers,
            to_town=(
                _("%(name)s 首席质量官空缺已超期（%(days)s 天）") % values,
                _(
                    "%(name)s 自 %(start)s 起没有备案在任的首席质量官，已超过 %(limit)s 天的期限，"
                    "请督促企业尽快聘任并备案。"
                )
                % values,
            ),
            town_url=reverse("town:vacancy", args=[enterprise.pk]),
            dedupe_key=f"vacancy-overdue:{enterprise.pk}:{day.isoformat()}",
            email=email,
        )
    return reminder


def notify_overdue(
    *,
    enterprise_users,
    to_enterprise: tuple[str, str],
    town_officers,
    to_town: tuple[str, str],
    town_url: str,
    dedupe_key: str,
    email: bool,
) -> None:
    """Tell an overdue vacancy (SPEC §2) to both sides, as one notification kind
    (``VACANCY_OVERDUE``) under one ``dedupe_key``: the enterprise's users get ``to_enterprise``
    (title, body) linking to their portal, its town's officers ``to_town`` (title, body)
    linking to ``town_url``; in-app, and by e-mail unless ``email`` is false."""
    both = {"kind": NotificationKind.VACANCY_OVERDUE, "dedupe_key": dedupe_key, "email": email}
    for users, (title, body), url in (
        (enterprise_users, to_enterprise, reverse("portal:home")),
        (town_officers, to_town, town_url),
    ):
        notifications.notify(users=users, title=title, body=body, url=url, **both)


def vacancy_send_overdue_reminders(*, day: date | None = None, actor: User | None = None) -> int:
    """The daily run: remind every vacancy overdue at ``day`` (default today) once. Returns
    how many enterprises were reminded; a second run the same day reminds none.

    Reads are set-based (the overdue list and every recipient, two queries); each enterprise
    is then written in its own transaction, so one failure does not undo the reminders
    already sent, and their emails leave as each one commits."""
    day = day or clock.localdate()
    enterprises = list(overdue_vacancies(day))
    if not enterprises:
        return 0
    by_enterprise, by_town = _recipients_by_scope(enterprises)
    sent = 0
    for enterprise in enterprises:
        reminder = vacancy_remind_overdue(
            enterprise=enterprise,
            day=day,
            enterprise_users=by_enterprise.get(enterprise.pk, []),
            town_officers=by_town.get(enterprise.town_id, []),
            actor=actor,
        )
        if reminder is not None:
            sent += 1
    return sent
