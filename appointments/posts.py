"""Posts (岗位, issue 19): which posts an enterprise must fill, and its board of them.

A post's conditions (``PostType``: scales, requires-CQO, industry sections, high-risk,
licences) are evaluated here, once in Python (:func:`is_required`, :func:`posts_required`, for
one enterprise) and once as a query (:func:`required_q`, :func:`enterprises_requiring`, for
lists and statistics); ``tests/appointments/test_posts.py`` checks that the two agree.

The board (:func:`enterprise_board`) is what the registry's enterprise page and the
enterprise's portal home show: every post the enterprise must fill, filled / under review /
vacant, and its holders' training hours this year against the post's requirement.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cqo_registry.workflows import save_validated
from enterprises.models import Enterprise, licence_field
from training.models import TrainingAttendance

from .models import CQO_POST, Appointment, Filing, FilingKind, FilingStatus, Holders, PostType
from .registry import (
    active_on,
    days_vacant,
    filed_current_on,
    is_overdue,
    vacant_enterprises,
    vacant_since,
)


def required_q(post: PostType, prefix: str = "") -> Q:
    """On enterprises (``prefix``: the path to the enterprise from the queried model): the
    enterprise must fill ``post`` — every condition the post sets holds (issue 19 §1). The
    CQO's post gives ``requires_cqo = True``, SPEC §2's rule. Activity is not part of it:
    combine with ``registry.active_on`` where a date matters."""
    conditions = Q()
    if post.scales:
        conditions &= Q(**{f"{prefix}scale__in": post.scales})
    if post.requires_cqo is not None:
        conditions &= Q(**{f"{prefix}requires_cqo": post.requires_cqo})
    if post.industries:
        conditions &= Q(**{f"{prefix}industry__in": post.industries})
    if post.high_risk is not None:
        conditions &= Q(**{f"{prefix}high_risk": post.high_risk})
    if post.licences:
        conditions &= reduce(
            or_, (Q(**{f"{prefix}{licence_field(licence)}": True}) for licence in post.licences)
        )
    return conditions


def is_required(post: PostType, enterprise: Enterprise) -> bool:
    """The Python form of :func:`required_q` for one enterprise (no query)."""
    return (
        (not post.scales or enterprise.scale in post.scales)
        and (post.requires_cqo is None or enterprise.requires_cqo == post.requires_cqo)
        and (not post.industries or enterprise.industry in post.industries)
        and (post.high_risk is None or enterprise.high_risk == post.high_risk)
        and (not post.licences or bool(enterprise.licences & set(post.licences)))
    )


def active_posts() -> QuerySet[PostType]:
    """The posts in force (``active``), in the board's order."""
    return PostType.objects.filter(active=True).order_by("sort_order", "code")


def posts_required(enterprise: Enterprise, day: date | None = None) -> list[PostType]:
    """Every active post ``enterprise`` must fill, in the board's order (issue 19 §1): the
    posts whose conditions it meets; none when it is not active at ``day`` (SPEC §3 *active
    at D*; ``day`` defaults to not checking). One query (the posts)."""
    if day is not None and not enterprise.is_active_on(day):
        return []
    return [post for post in active_posts() if is_required(post, enterprise)]


def enterprises_requiring(post: PostType) -> QuerySet[Enterprise]:
    """The enterprises that must fill ``post`` (attributes as they are now, SPEC §3), the
    query form of :func:`posts_required` for statistics and lists."""
    return Enterprise.objects.filter(required_q(post))


# --- The board --------------------------------------------------------------------------------


class BoardState:
    FILLED = "filled"
    UNDER_REVIEW = "under_review"
    VACANT = "vacant"


@dataclass
class Holder:
    name: str
    hours: Decimal  # training hours this calendar year, up to the board's day
    person_id: int | None = None
    # The holder's last graded exam for the post (issue 19: "the last exam result, once exams
    # exist"): set by the apps registered in BOARD_EXTENSIONS, None when there is none.
    last_exam: object | None = None


# Callables ``(rows: list[BoardRow], day) -> None`` that add to a built board what apps above
# this one know (the exams app registers the holders' last exam results in its ready()).
# appointments may not import them (tests/infra/test_layers.py): they register themselves.
BOARD_EXTENSIONS: list = []


@dataclass
class BoardRow:
    """One post of an enterprise's board. ``state``: :class:`BoardState`. ``vacant_since``
    and ``days_vacant`` only when vacant (SPEC §2's rule, applied to the post: from the day
    the registry knows the enterprise, or from the end of the post's last filed appointment).
    The CQO's post has no ``in_force_from``, so its row agrees with ``registry.vacant_since``;
    another post is vacant from its ``in_force_from`` at the earliest. ``hours_met``: every
    holder has the post's yearly hours (``None`` when the post asks for none or nobody holds
    it)."""

    post: PostType
    state: str
    holders: list[Holder] = field(default_factory=list)
    vacant_since: date | None = None
    days_vacant: int | None = None
    overdue: bool = False

    @property
    def hours_met(self) -> bool | None:
        if not self.post.training_hours or not self.holders:
            return None
        return all(h.hours >= self.post.training_hours for h in self.holders)


def _hours_this_year(person_ids, day: date) -> dict[int, Decimal]:
    """Training hours per person in ``day``'s calendar year up to ``day``: attended sessions
    that started in that span, the attendance's hours or else the session's."""
    rows = (
        TrainingAttendance.objects.filter(
            person_id__in=person_ids,
            attended=True,
            session__starts_on__gte=date(day.year, 1, 1),
            session__starts_on__lte=day,
        )
        .order_by()
        .values("person_id")
        .annotate(total=Sum(Coalesce("hours", "session__hours")))
    )
    return {row["person_id"]: row["total"] or Decimal(0) for row in rows}


def enterprise_board(enterprise: Enterprise, day: date) -> list[BoardRow]:
    """The board of ``enterprise`` at ``day`` (issue 19 §1): one :class:`BoardRow` per post it
    must fill (:func:`posts_required`). Filled: it has a filed current appointment to the post
    (SPEC §3's rule, per post); under review: none, but a submitted appoint/change filing for
    the post waits for the bureau; vacant otherwise. The caller checks that the user may see
    the enterprise. Four queries whatever the number of posts, and what each of
    :data:`BOARD_EXTENSIONS` reads (the exams app: one query, when a holder's post asks for
    exams)."""
    posts = posts_required(enterprise, day)
    if not posts:
        return []
    codes = [post.code for post in posts]
    appointments = list(
        Appointment.objects.filter(enterprise=enterprise, post__in=codes)
        .select_related("person")
        .order_by("appointed_on", "pk")
    )
    current = Q(pk__in=[a.pk for a in appointments]) & filed_current_on(day, post=None)
    current_ids = set(Appointment.objects.filter(current).values_list("pk", flat=True))
    reviewing = set(
        Filing.objects.filter(
            enterprise=enterprise,
            status=FilingStatus.SUBMITTED,
            kind__in=[FilingKind.APPOINT, FilingKind.CHANGE],
            appointment__post__in=codes,
        ).values_list("appointment__post", flat=True)
    )
    hours = _hours_this_year({a.person_id for a in appointments if a.pk in current_ids}, day)
    known_from = enterprise.established_on or timezone.localtime(enterprise.created_at).date()

    rows = []
    for post in posts:
        mine = [a for a in appointments if a.post_id == post.code]
        holders = [
            Holder(
                name=a.person.name,
                hours=hours.get(a.person_id, Decimal(0)),
                person_id=a.person_id,
            )
            for a in mine
            if a.pk in current_ids
        ]
        if holders:
            rows.append(BoardRow(post=post, state=BoardState.FILLED, holders=holders))
            continue
        ends = [
            a.ended_on
            for a in mine
            if a.filed_on and a.filed_on <= day and a.ended_on and a.ended_on <= day
        ]
        since = min(max([known_from, *ends, *filter(None, [post.in_force_from])]), day)
        state = BoardState.UNDER_REVIEW if post.code in reviewing else BoardState.VACANT
        rows.append(
            BoardRow(
                post=post,
                state=state,
                vacant_since=since,
                days_vacant=days_vacant(since, day),
                overdue=is_overdue(since, day),
            )
        )
    for extend in BOARD_EXTENSIONS:
        extend(rows, day)
    return rows


# --- Posts in the statistics (issue 19: targets per post) --------------------------------------
#
# The query forms of the board's rules, read by ``reports.statistics`` and the drill-downs, so
# that a post's figures, its lists and its enterprises' boards agree.


def post_filed_current_on(post: PostType | str, day: date, prefix: str = "") -> Q:
    """On appointments: a filed current appointment to ``post`` (a PostType or its code) at
    ``day`` — SPEC §3's rule (``registry.filed_current_on``) applied to the post. An
    enterprise has the post *filled* at ``day`` when it has at least one (for a single-holder
    post, the one)."""
    return filed_current_on(day, prefix, post=getattr(post, "code", post))


def has_filled_post(post: PostType | str, day: date) -> Exists:
    """Per row of enterprises: the post is filled at ``day`` (:func:`post_filed_current_on`)."""
    return Exists(
        Appointment.objects.filter(post_filed_current_on(post, day), enterprise=OuterRef("pk"))
    )


def yearly_hours_attendances(day: date) -> Q:
    """On training attendances: those that count toward the yearly hours at ``day`` — the
    board's rule (:func:`enterprise_board`): attended, of a session that started in ``day``'s
    calendar year on or before ``day``. Their hours are the attendance's, else the
    session's (:data:`ATTENDANCE_HOURS`)."""
    return Q(
        attended=True,
        session__starts_on__gte=date(day.year, 1, 1),
        session__starts_on__lte=day,
    )


# The hours an attendance counts for: its own, else its session's.
ATTENDANCE_HOURS = Coalesce("hours", "session__hours")


def yearly_hours(day: date, outer: str = "pk") -> Subquery:
    """Per row: the training hours in ``day``'s calendar year up to ``day`` of the person
    ``outer`` names (a ``Decimal``, ``None`` when none) — the board's hours."""
    hours = (
        TrainingAttendance.objects.filter(yearly_hours_attendances(day), person=OuterRef(outer))
        .order_by()
        .values("person")
        .annotate(total=Sum(ATTENDANCE_HOURS))
        .values("total")
    )
    return Subquery(hours, output_field=DecimalField(max_digits=7, decimal_places=1))


def post_trained_persons(post: PostType, day: date) -> QuerySet[TrainingAttendance]:
    """The persons who meet ``post``'s training requirement at ``day``, as a query with one
    column ``t_person`` (a person may appear more than once):

    * a post that asks for yearly hours (``training_hours`` > 0): the persons whose hours in
      ``day``'s calendar year up to ``day`` (:func:`yearly_hours_attendances`) reach them —
      one row per person;
    * a post that asks for none (the CQO's, as seeded): SPEC §3's *trained*, a passed
      attendance of a session that ended on or before ``day`` — one row per attendance.

    The rule is the post's as it is now (like enterprise attributes, SPEC §3)."""
    if post.training_hours:
        return (
            TrainingAttendance.objects.filter(yearly_hours_attendances(day))
            .order_by()
            .values(t_person=F("person_id"))
            .annotate(total=Sum(ATTENDANCE_HOURS))
            .filter(total__gte=post.training_hours)
            .values("t_person")
        )
    return (
        TrainingAttendance.objects.filter(passed=True, session__ends_on__lte=day)
        .order_by()
        .values(t_person=F("person_id"))
    )


def is_post_trained(post: PostType, day: date, outer: str = "pk") -> Exists:
    """Per row: the person ``outer`` names meets ``post``'s training requirement at ``day``
    (:func:`post_trained_persons`), as a semi-join."""
    if post.training_hours:
        return Exists(
            TrainingAttendance.objects.filter(yearly_hours_attendances(day), person=OuterRef(outer))
            .order_by()
            .values("person")
            .annotate(total=Sum(ATTENDANCE_HOURS))
            .filter(total__gte=post.training_hours)
        )
    return Exists(
        TrainingAttendance.objects.filter(
            passed=True, session__ends_on__lte=day, person=OuterRef(outer)
        )
    )


__all__ = [
    "CQO_POST",
    "BoardRow",
    "BoardState",
    "FilingBoardRow",
    "active_posts",
    "enterprise_board",
    "enterprises_requiring",
    "filing_board",
    "has_filled_post",
    "holders_problem",
    "is_post_trained",
    "is_required",
    "post_filed_current_on",
    "post_trained_persons",
    "post_type_save",
    "post_choices",
    "post_vacancies",
    "post_vacant_since",
    "posts_required",
    "required_q",
    "yearly_hours",
    "yearly_hours_attendances",
]


# --- Managing posts (the bureau admin, in the Django admin) ----------------------------------


def holders_problem(code: str, holders: str) -> str | None:
    """Why the post ``code`` may not have the holders rule ``holders`` (a
    :class:`Holders` value), or ``None``: the CQO's post has one holder (SPEC §2); a post
    made single-holder must not have an enterprise with two current holders already."""
    if holders != Holders.ONE:
        return _("首席质量官岗位限一人（SPEC §2）。") if code == CQO_POST else None
    several = (
        Appointment.objects.filter(post=code, filed_on__isnull=False, ended_on__isnull=True)
        .order_by()
        .values("enterprise")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    if several.exists():
        return _("已有企业在此岗位上有多名在任人员，不能改为限一人；请先办理解聘后再修改。")
    return None


@transaction.atomic
def post_type_save(*, post: PostType, actor) -> PostType:
    """Validate and save ``post`` (history by ``actor``), and copy its holders rule to its
    appointments' ``single_holder`` — what the database's "one current holder per enterprise
    and post" reads. Raises ``ValidationError`` when the CQO's post would change its code or
    holders, or when a post made single-holder has an enterprise with two current holders."""
    if post.pk:
        before = PostType.objects.select_for_update(of=("self",)).get(pk=post.pk)
        if before.code != post.code:
            raise ValidationError({"code": _("岗位代码创建后不可修改。")}, code="post_code_fixed")
    problem = holders_problem(post.code, post.holders)
    if problem:
        raise ValidationError({"holders": problem}, code="holders")
    save_validated(post, actor)
    transaction.on_commit(forget_post_choices)
    try:
        with transaction.atomic():
            Appointment.objects.filter(post=post.code).exclude(
                single_holder=post.single_holder
            ).update(single_holder=post.single_holder)
    except IntegrityError:
        raise ValidationError(
            {
                "holders": _(
                    "已有企业在此岗位上有多名在任人员，不能改为限一人；请先办理解聘后再修改。"
                )
            },
            code="several_current_holders",
        ) from None
    return post


# --- Filing per post (the enterprise's portal, issue 19) -------------------------------------


@dataclass
class FilingBoardRow:
    """One row of the portal's board: the :class:`BoardRow`, the post's current filed
    holders (appointments, oldest first, for "change" and "dismiss" per holder) and its
    filings in progress (draft, submitted, returned)."""

    row: BoardRow
    holders: list[Appointment] = field(default_factory=list)
    open_filings: list[Filing] = field(default_factory=list)

    @property
    def post(self) -> PostType:
        return self.row.post

    @property
    def can_appoint(self) -> bool:
        """A new holder may be filed: the post takes several holders, or it has none and no
        filing of it is in progress."""
        if not self.post.single_holder:
            return True
        return not self.holders and not self.open_filings

    @property
    def can_change(self) -> bool:
        """Holders may be changed or dismissed: a single-holder post only while no filing
        of it is in progress (one at a time per post)."""
        return bool(self.holders) and (not self.post.single_holder or not self.open_filings)

    def busy(self, appointment: Appointment) -> bool:
        """A filing in progress already changes or dismisses ``appointment``."""
        return any(
            appointment.pk in (f.appointment_id, f.replaces_id) and f.kind != FilingKind.APPOINT
            for f in self.open_filings
        )


def filing_board(enterprise: Enterprise, day: date, filings=None) -> list[FilingBoardRow]:
    """The board of :func:`enterprise_board` with what the enterprise may file on each post
    (issue 19: file, change and dismiss per post; several holders where the post takes
    them). ``filings``: the enterprise's filings when the caller has them loaded (else they
    are read). The caller checks that the user acts for the enterprise. Six queries at most,
    whatever the number of posts."""
    rows = enterprise_board(enterprise, day)
    if not rows:
        return []
    codes = [row.post.code for row in rows]
    holders = list(
        Appointment.objects.filter(
            enterprise=enterprise, post__in=codes, filed_on__isnull=False, ended_on__isnull=True
        )
        .select_related("person")
        .order_by("appointed_on", "pk")
    )
    if filings is None:
        filings = Filing.objects.filter(enterprise=enterprise)
    open_statuses = (FilingStatus.DRAFT, FilingStatus.SUBMITTED, FilingStatus.RETURNED)
    in_progress = [f for f in filings if f.status in open_statuses]
    return [
        FilingBoardRow(
            row=row,
            holders=[a for a in holders if a.post_id == row.post.code],
            open_filings=[f for f in in_progress if f.post_id == row.post.code],
        )
        for row in rows
    ]


# --- Vacancies per post (issue 19: the town officer's and the bureau's lists, reminders) ------


def post_vacant_since(post: PostType, day: date):
    """SPEC §2 *Vacancy*, applied to ``post``, as an expression on enterprises (a
    ``DateField``): the later of the day the registry knows the enterprise (its
    ``established_on``, else the day its record was made), the ``ended_on`` of its last
    filed appointment to the post that ended on or before ``day``, and the post's
    ``in_force_from``; never later than ``day``. The query form of the board's
    ``vacant_since`` (:func:`enterprise_board`); for the CQO's post it is
    ``registry.vacant_since``."""

    if post.code == CQO_POST:
        return vacant_since(day)
    last_end = (
        Appointment.objects.filter(
            enterprise=OuterRef("pk"), post=post.code, filed_on__lte=day, ended_on__lte=day
        )
        .order_by()
        .values("enterprise")
        .annotate(last=Max("ended_on"))
        .values("last")
    )
    known_from = Coalesce("established_on", TruncDate("created_at"), output_field=DateField())
    parts = [known_from, Coalesce(Subquery(last_end, output_field=DateField()), known_from)]
    if post.in_force_from:
        parts.append(Value(post.in_force_from, output_field=DateField()))
    since = Greatest(*parts, output_field=DateField())
    return Least(since, Value(day, output_field=DateField()), output_field=DateField())


def post_vacancies(post: PostType, day: date) -> QuerySet[Enterprise]:
    """Enterprises active at ``day`` that must fill ``post`` (:func:`required_q`) and have
    no filed current appointment to it at ``day`` (SPEC §3's rule, per post), annotated
    ``vacancy_start`` (:func:`post_vacant_since`). For the CQO's post this is
    ``registry.vacant_enterprises`` itself; for another post it is the set of enterprises
    whose board shows the post vacant or under review at ``day``. Not scoped: callers
    scope to the user."""

    if post.code == CQO_POST:
        return vacant_enterprises(day)
    filled = Appointment.objects.filter(
        filed_current_on(day, post=post.code), enterprise=OuterRef("pk")
    )
    return (
        Enterprise.objects.filter(active_on(day))
        .filter(required_q(post))
        .filter(~Exists(filled))
        .annotate(vacancy_start=post_vacant_since(post, day))
    )


# post_choices' memo: (monotonic time read, rows). Posts are reference data a bureau admin
# edits rarely; a minute of staleness in another worker process is harmless (the filter then
# offers yesterday's list), and post_type_save clears this process's memo at once.
POST_CHOICES_SECONDS = 60
_post_choices_memo: list = [0.0, None]


def post_choices() -> list[tuple[str, str]]:
    """``(code, name)`` of every active post in the board's order, the name in the current
    language (``PostType.display_name``) — for filters of lists whose query count is pinned
    (issue 15). Read at most once a minute per process (:data:`POST_CHOICES_SECONDS`;
    :func:`post_type_save` clears it), so offering the choice costs no query."""
    import time

    from django.utils.translation import get_language

    read_at, rows = _post_choices_memo
    now = time.monotonic()
    if rows is None or now - read_at > POST_CHOICES_SECONDS:
        rows = list(active_posts().values_list("code", "name", "name_en"))
        _post_choices_memo[:] = [now, rows]
    english = (get_language() or "").startswith("en")
    return [(code, (name_en if english and name_en else name)) for code, name, name_en in rows]


def forget_post_choices() -> None:
    """Clear :func:`post_choices`' memo (after a post is saved)."""
    _post_choices_memo[:] = [0.0, None]
