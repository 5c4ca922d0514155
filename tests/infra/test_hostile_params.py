"""Parameters a person or a link can send: every page and export of the project answers a
hostile query string or URL part with a page, a 400 or a 404 — never a server error.

The URLs are not listed here: they are walked from the project's resolver, so a new page is
covered the day it is added. Kwargs are filled with real rows of a small county (the shared
cast of ``tests/conftest.py`` plus one row of each other kind); a pattern this module cannot
fill fails the test until it is taught how (``KWARG_VALUES`` / ``admin_kwargs``).

The query parameters are the ones each view actually reads, recorded while the page is
requested (``ReadRecorder``), plus a fixed list of names links commonly carry; how they are
combined, per kind of page and role, is ``hostile_requests``'s docstring. The test client
re-raises a view's exception (``raise_request_exception`` is left on): a crash is caught here
only to name the URL and the parameters in the failure, and fails the test all the same
(``test_a_view_that_raises_fails_the_check`` shows it).
"""

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.http import QueryDict
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api.models import ApiToken
from appointments import sanctions
from appointments.models import (
    IncidentSource,
    SanctionDocument,
    SanctionKind,
    Severity,
    SpotCheck,
)
from confirmations import services as confirmation_services
from cqo_registry.accounts import team
from cqo_registry.accounts.models import EnterpriseInvitation, Notification, NotificationKind, User
from cqo_registry.exports.models import ReportRun, ReportRunStatus
from cqo_registry.importing.blank_forms import blank_form
from cqo_registry.importing.models import ImportJob, ImportStatus
from cqo_registry.reminders.models import ReminderRule
from enterprises.models import Enterprise, EnterpriseRegistration
from reports import selectors
from reports.models import Population, SnapshotKind, SnapshotRun, Target
from tests.exams.cast import exam_cast
from tests.factories import UserFactory, make_uscc
from training import services as training_services
from training.models import (
    CampaignStatus,
    EvaluationDocument,
    Nomination,
    NominationSource,
    SelectionCampaign,
    TrainingAttendance,
)

pytestmark = pytest.mark.django_db

# Values a person typing into the address bar, a broken link or a scanner sends.
HOSTILE_VALUES = [
    "-1",
    "0",
    "99999999999999999999",  # past any 64-bit integer column
    "9" * 5000,  # past Python's int() digit limit
    "1.5",
    "2021-13-40",
    "0001-01-01",  # a real date, at the edge of the calendar
    "99999",
    "²",  # str.isdigit() says yes, int() says no
    "a\x00b",  # PostgreSQL refuses NUL in a query
    "x" * 5000,
    "城关\u202e镇' OR '1'='1",  # text, unicode controls, quotes
]

# Names links commonly carry, sent to every URL whether or not its view reads them.
COMMON_PARAMS = [
    "page",
    "year",
    "format",
    "as_of",
    "date",
    "q",
    "id",
    "pk",
    "enterprise",
    "incident",
    "town",
    "industry",
    "show",
    "status",
    "kind",
    "severity",
    "grade",
    "late",
    "overdue",
    "needs_action",
    "uscc",
    "next",
]
# The admin reads its parameters by iterating the query (which ``ReadRecorder`` does not
# see): its own names, and each list's filter names (``admin_list_params``), are sent too.
ADMIN_PARAMS = ["p", "o", "q", "e", "all", "_popup", "_to_field", "_changelist_filters"]

# URL parts that are text (``<str:>``, ``<path:>``, ``<slug:>``, regex groups) are tried with:
HOSTILE_URL_PARTS = [
    "x" * 3000,
    "城关镇",
    "\x00",
    "a\x00b",
    "%00",
    "-1",
    "99999999999999999999",
    "²",
]

# The shared cast's roles (issue 8 §3: the bureau admin, a town officer, an enterprise user)
# and anyone without a login (the public pages). The first sees the most pages: each of its
# pages gets every parameter alone with every value (``hostile_requests``).
ROLES = ["bureau_admin", "town_officer", "enterprise_user", None]

# Patterns with kwargs this module does not fill. Keep it empty: teach KWARG_VALUES instead.
UNFILLED: set[str] = set()

ADMIN_PREFIX = "admin/"
# Statuses that refuse the request as a whole (login page, role, scope, method): the view read
# no parameter before refusing.
REFUSED = {302, 403, 404, 405}


@pytest.fixture(autouse=True)
def quiet_request_log():
    """Thousands of refused requests would each log a warning; errors still show."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security", "axes")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


# --- Walking the resolver ------------------------------------------------------------------


def walk(resolver=None, prefix="", namespace=""):
    """Every (route, name, pattern) of the project, with namespaced names (``review:filing``);
    ``name`` is ``None`` for a pattern without one (it cannot be reversed, so not filled)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = namespace + entry.name if entry.name else None
            yield prefix + str(entry.pattern), name, entry


def kwarg_names(pattern: URLPattern) -> list[str]:
    """The pattern's named groups, or for a pattern of unnamed groups (django-simple-history's
    admin view of one history row) the names its view takes them as."""
    regex = pattern.pattern.regex
    if regex.groups and not regex.groupindex:
        if pattern.name and pattern.name.endswith("_simple_history") and regex.groups == 2:
            return ["object_id", "history_id"]
        return [f"arg{index}" for index in range(regex.groups)]
    return list(regex.groupindex)


def positional(pattern: URLPattern) -> bool:
    regex = pattern.pattern.regex
    return bool(regex.groups and not regex.groupindex)


def text_kwargs(pattern: URLPattern) -> list[str]:
    """The kwargs that take text: all but ``<int:>`` ones."""
    converters = getattr(pattern.pattern, "converters", {})
    return [
        name for name in kwarg_names(pattern) if not isinstance(converters.get(name), IntConverter)
    ]


def model_admin_of(pattern: URLPattern):
    """The ModelAdmin behind an admin pattern (Django's own views carry it, views a package
    adds through ``admin_view`` wrap its bound methods)."""
    callback = pattern.callback
    found = getattr(callback, "model_admin", None)
    while found is None and callback is not None:
        found = getattr(callback, "__self__", None)
        callback = getattr(callback, "__wrapped__", None)
    return found if hasattr(found, "model") else None


def view_function(pattern: URLPattern):
    """The function that finally answers ``pattern`` (through decorators and bound methods):
    two admin patterns with the same one run the same code on different models."""
    callback = pattern.callback
    while hasattr(callback, "__wrapped__"):
        callback = callback.__wrapped__
    return getattr(callback, "__func__", callback)


# --- The county the URLs are filled from --------------------------------------------------


@pytest.fixture(autouse=True)
def no_throttles(settings):
    """Thousands of requests from one address: the throttles (issue 13, tested in
    tests/accounts/test_throttles.py) would answer 429 to most of them and hide the views."""
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def cast(county, bureau_admin, reviewer, leader, town_officer, enterprise_user, media_root):
    """One row of each kind a URL names, all inside the home town and enterprise so that
    each role reaches as far into its views as its scope allows."""
    appointment = county.home_appointment
    enterprise = county.home_enterprise
    filing = appointment.filings.get()
    attendance = TrainingAttendance.objects.filter(person=appointment.person).first()
    registration = EnterpriseRegistration.objects.create(
        uscc=make_uscc(90001),
        name="新注册科技有限公司",
        contact_name="李四",
        mobile="13900000001",
        email="li@example.cn",
        town=county.home_enterprise.town,
        scale="sme",
        industry="C",
        user=UserFactory(username="applicant", is_active=False),
    )
    evaluation = training_services.evaluation_open(
        appointment=appointment, year=2023, actor=reviewer
    )
    evaluation_document = EvaluationDocument.objects.create(
        evaluation=evaluation,
        name="总结.pdf",
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="summary.pdf"),
        uploaded_by=enterprise_user,
    )
    campaign = SelectionCampaign.objects.create(
        year=2023,
        title="2023年度优秀首席质量官评选",
        period_start=date(2023, 1, 1),
        period_end=date(2023, 12, 31),
        quota=2,
        status=CampaignStatus.NOMINATING,
    )
    nomination = Nomination.objects.create(
        campaign=campaign,
        appointment=appointment,
        source=NominationSource.TOWN,
        nominated_by=town_officer,
        statement="全年未发生质量安全事故。",
    )
    incident = sanctions.incident_record(
        enterprise=enterprise,
        occurred_on=date(2023, 5, 1),
        severity=Severity.MAJOR,
        source=IncidentSource.SPOT_CHECK,
        description="抽查不合格。",
        actor=reviewer,
    )
    sanction = sanctions.sanction_record(
        appointment=appointment,
        kind=SanctionKind.INTERVIEW,
        reason="约谈。",
        decided_on=date(2023, 6, 1),
        incident=incident,
        actor=reviewer,
    )
    sanction_document = SanctionDocument.objects.create(
        sanction=sanction,
        name="约谈记录.pdf",
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="record.pdf"),
        uploaded_by=reviewer,
    )
    # The risk list (issue 17 §2): a failed spot check puts the enterprise on it.
    SpotCheck.objects.create(
        enterprise=enterprise,
        product="电线电缆",
        checked_on=date.today() - timedelta(days=10),
        passed=False,
        document_number="抽〔1〕号",
    )
    # The yearly confirmation (issue 17 §3): a round in progress, due in a month.
    confirmation_round = confirmation_services.round_open(
        year=date.today().year, due_on=date.today() + timedelta(days=30), actor=bureau_admin
    )
    run = SnapshotRun.objects.create(as_of=date(2023, 6, 30), version=1, kind=SnapshotKind.DAILY)
    import_job = ImportJob.objects.create(
        kind="enterprises",
        file_name="企业名录.xlsx",
        status=ImportStatus.CHECKED,
        errors=[
            {"sheet": "", "row": 3, "column": "所属镇", "reason": "镇（街道）“无此镇”不在系统中"}
        ],
        created_by=reviewer,
    )
    # A background export of the bureau admin (issue 15 §2), finished with its file.
    report_run = ReportRun.objects.create(
        kind="audit",
        title="审计记录",
        parameters={"query": "", "day": "2023-06-30"},
        status=ReportRunStatus.DONE,
        created_by=bureau_admin,
        filename="audit-20230630.xlsx",
    )
    report_run.file.save("export.xlsx", ContentFile(blank_form("enterprises")))
    # An enterprise the above-scale reconciliation brought in without a town (issue 17).
    incomplete_enterprise = Enterprise.objects.create(
        uscc=make_uscc(90002), name="规上名录新增有限公司", scale="above", industry=""
    )
    for user in (bureau_admin, reviewer, leader, town_officer, enterprise_user):
        Notification.objects.create(
            user=user, kind=NotificationKind.choices[0][0], title="通知", url="/"
        )
    # Accounts (issue 13): the enterprise user is its enterprise's admin, with a colleague
    # and an open invitation; a password-reset link; a CAPTCHA challenge.
    User.objects.filter(pk=enterprise_user.pk).update(is_enterprise_admin=True)
    enterprise_user.refresh_from_db()
    colleague = UserFactory(
        username="colleague", enterprise_user=True, enterprise=enterprise_user.enterprise
    )
    invitation = team.invitation_send(actor=enterprise_user, email="new@example.cn", name="新同事")
    invitation_token = "hostile-walk-token"
    EnterpriseInvitation.objects.filter(pk=invitation.pk).update(
        token_hash=team.token_hash(invitation_token)
    )
    # The provincial platform's token (issue 18), for the token page's revoke step.
    api_token, _key = ApiToken.objects.create_key(name="省平台", scopes=["registry:read"])
    exam = exam_cast(county, reviewer)
    return {
        **exam,
        "api_token": api_token,
        "appointment": appointment,
        "enterprise": enterprise,
        "filing": filing,
        "person": appointment.person,
        "session": attendance.session,
        "attendance": attendance,
        "registration": registration,
        "evaluation": evaluation,
        "evaluation_document": evaluation_document,
        "campaign": campaign,
        "nomination": nomination,
        "incident": incident,
        "sanction": sanction,
        "sanction_document": sanction_document,
        "run": run,
        "import_job": import_job,
        "report_run": report_run,
        "confirmation_round": confirmation_round,
        "incomplete_enterprise": incomplete_enterprise,
        "notification": Notification.objects.filter(user=bureau_admin).first(),
        "reviewer": reviewer,
        "colleague": colleague,
        "invitation": invitation,
        "invitation_token": invitation_token,
        "reset_uid": urlsafe_base64_encode(force_bytes(reviewer.pk)),
        "reset_token": default_token_generator.make_token(reviewer),
        "captcha_key": CaptchaStore.generate_key(),
        "explain_codes": [
            Target.objects.exclude(population=Population.FILED_CQOS).earliest("code").code,
            Target.objects.filter(population=Population.FILED_CQOS).earliest("code").code,
            selectors.VACANCY_CODE,
            selectors.PRINCIPAL_CODE,
            selectors.LATE_CODE,
            selectors.CONFIRM_CODE,
        ],
    }


def _pk(key):
    return lambda cast: [cast[key].pk]


# URL name -> kwarg -> the values it is requested with (a function of the cast).
KWARG_VALUES = {
    "api:enterprise": {"pk": _pk("enterprise")},
    "api:not_found": {"rest": lambda cast: ["nothing/here", *HOSTILE_URL_PARTS]},
    "appointments:letter_download": {"pk": _pk("appointment")},
    "appointments:letter_inline": {"pk": _pk("appointment")},
    **{
        f"portal:{name}": {"pk": _pk("filing")}
        for name in ("filing", "filing_edit", "filing_submit", "filing_withdraw")
    },
    **{
        f"review:{name}": {"pk": _pk("filing")}
        for name in ("filing", "filing_approve", "filing_return", "receipt")
    },
    **{
        f"review:{name}": {"pk": _pk("registration")}
        for name in ("registration", "registration_approve", "registration_reject")
    },
    "verify:verify": {"token": lambda cast: [cast["filing"].verify_token]},
    **{
        f"town:{name}": {"enterprise_id": _pk("enterprise")}
        for name in ("vacancy", "vacancy_note", "vacancy_remind")
    },
    "notifications:read": {"pk": _pk("notification")},
    "password_reset_confirm": {
        "uidb64": lambda cast: [cast["reset_uid"]],
        "token": lambda cast: [cast["reset_token"]],
    },
    "account_security:two_factor_reset": {"pk": _pk("reviewer")},
    "api_tokens:revoke": {"prefix": lambda cast: [cast["api_token"].prefix]},
    "invitation_accept": {"token": lambda cast: [cast["invitation_token"]]},
    "team:revoke": {"pk": _pk("invitation")},
    **{
        f"team:{name}": {"pk": _pk("colleague")}
        for name in ("deactivate", "reactivate", "hand_over")
    },
    **{
        name: {"key": lambda cast: [cast["captcha_key"]]}
        for name in ("captcha-image", "captcha-image-2x", "captcha-audio")
    },
    **{
        f"training:{name}": {"pk": _pk("session")}
        for name in ("session", "session_edit", "session_enrol", "session_attendance")
    },
    "training:attendance_remove": {"pk": _pk("session"), "attendance_pk": _pk("attendance")},
    "training:person": {"pk": _pk("person")},
    **{
        f"evaluations:{name}": {"pk": _pk("evaluation")}
        for name in ("detail", "self_save", "self_submit", "score")
    },
    **{
        f"evaluations:{name}": {"pk": _pk("evaluation"), "document_pk": _pk("evaluation_document")}
        for name in ("document", "document_remove")
    },
    **{
        f"selection:{name}": {"pk": _pk("campaign")}
        for name in (
            "campaign_detail",
            "campaign_edit",
            "campaign_open",
            "campaign_close",
            "campaign_rank",
            "campaign_publicity",
            "campaign_publish",
            "candidates",
        )
    },
    "selection:nominate": {"pk": _pk("campaign"), "appointment_pk": _pk("appointment")},
    **{
        f"selection:{name}": {"pk": _pk("nomination")}
        for name in ("nomination_detail", "nomination_review")
    },
    "oversight:sanction_detail": {"pk": _pk("sanction")},
    "oversight:document_download": {
        "pk": _pk("sanction"),
        "document_pk": _pk("sanction_document"),
    },
    **{
        f"oversight:{name}": {"pk": _pk("incident")}
        for name in ("incident_detail", "incident_edit")
    },
    "persons:detail": {"pk": _pk("person")},
    # Every kind of drill-down: enterprises, persons, vacancies, principals, late filings.
    **{
        f"reports:{name}": {"code": lambda cast: cast["explain_codes"]}
        for name in ("explain", "explain_export", "explain_count")
    },
    "reports:snapshot_progress": {"run_id": _pk("run")},
    **{
        f"importing:{name}": {
            "kind": lambda cast: [
                "enterprises",
                "appointments",
                "training",
                "above_scale",
                "spot_checks",
                "penalties",
                "questions",
            ]
        }
        for name in ("new", "blank")
    },
    **{
        f"importing:{name}": {"pk": _pk("import_job")}
        for name in ("job", "progress", "confirm", "discard", "errors", "details")
    },
    **{f"exports:{name}": {"pk": _pk("report_run")} for name in ("run", "progress", "download")},
    "enterprises:complete": {"pk": _pk("incomplete_enterprise")},
    "enterprises:detail": {"pk": _pk("enterprise")},
    "oversight:risk_interview": {"pk": _pk("enterprise")},
    **{
        f"confirmations:{name}": {"year": lambda cast: [cast["confirmation_round"].year]}
        for name in ("round", "export", "close")
    },
    **{
        f"reminders:{name}": {"pk": lambda cast: [ReminderRule.objects.order_by("pk").first().pk]}
        for name in ("rule_edit", "rule_delete")
    },
    "reminders:enterprise": {"pk": _pk("enterprise")},
    # Online assessment (issue 20).
    "exams:question_edit": {"pk": _pk("question")},
    "exams:rule_edit": {"post": lambda cast: ["cqo", "food_officer"]},
    **{
        f"exams:{name}": {"pk": _pk("sitting")}
        for name in (
            "sitting",
            "sitting_edit",
            "sitting_add",
            "sitting_open",
            "sitting_close",
            "sitting_print",
            "sitting_results",
        )
    },
    "exams:candidate_remove": {"pk": _pk("sitting"), "candidate_pk": _pk("candidate")},
    **{f"exams:{name}": {"pk": _pk("paper")} for name in ("paper", "certificate")},
    "exam:verify": {"token": lambda cast: [cast["certificate_token"]]},
    "exam:published_results": {"pk": _pk("sitting")},
}


def admin_kwargs(pattern: URLPattern, name: str, cast) -> dict | None:
    """The kwargs of an admin pattern: the first row of its model and that row's first
    history row — or, for a table the cast leaves empty, an id no row has (the admin's own
    "does not exist" answer) —, the content type of an enterprise, the first app. ``None``
    for a kwarg this module knows no rule for."""
    model_admin = model_admin_of(pattern)
    row = model_admin.model._default_manager.order_by("pk").first() if model_admin else None
    kwargs = {}
    for kwarg in kwarg_names(pattern):
        if kwarg in ("object_id", "id") and model_admin is not None:
            kwargs[kwarg] = [str(row.pk) if row else "0"]
        elif kwarg == "history_id" and model_admin is not None:
            history = row.history.order_by("pk").first() if row else None
            kwargs[kwarg] = [str(history.pk) if history else "0"]
        elif kwarg == "content_type_id":
            kwargs[kwarg] = [ContentType.objects.get_for_model(cast["enterprise"]).pk]
        elif kwarg == "object_id":
            kwargs[kwarg] = [str(cast["enterprise"].pk)]
        elif kwarg == "app_label":
            kwargs[kwarg] = ["enterprises"]
        elif kwarg == "url":  # the admin's catch-all
            kwargs[kwarg] = ["no-such-page/"]
        else:
            return None
    return kwargs


@dataclass
class Filled:
    """One pattern with its kwargs filled: ``url`` is what is requested. ``name`` is the
    pattern's namespaced name, or its route when it has none."""

    route: str
    name: str
    pattern: URLPattern
    kwargs: dict
    url: str

    def with_kwargs(self, **kwargs) -> str:
        """The URL of the same pattern with some kwargs replaced (``NoReverseMatch`` when
        the pattern cannot hold them)."""
        name = self.pattern.name and self.name
        return _url(self.route, self.pattern, name, self.kwargs | kwargs)

    @property
    def is_admin(self) -> bool:
        return self.url.startswith("/" + ADMIN_PREFIX)

    @property
    def is_admin_list(self) -> bool:
        """An admin list or an export of it: the pages whose query holds its filters."""
        return self.is_admin and self.name.endswith(("_changelist", "_export"))


def filled_urls(cast) -> tuple[list[Filled], set[str]]:
    """Every pattern filled with the cast's rows (one URL per combination of values), and the
    names (routes, for a pattern without a name) of those it cannot fill."""
    filled, unfilled = [], set()
    for route, name, pattern in walk():
        names = kwarg_names(pattern)
        if not names:
            filled.append(Filled(route, name or route, pattern, {}, _url(route, pattern, name, {})))
            continue
        if route.startswith(ADMIN_PREFIX):
            values = admin_kwargs(pattern, name, cast)
        else:
            rule = KWARG_VALUES.get(name)
            values = (
                {kwarg: rule[kwarg](cast) for kwarg in names}
                if rule and set(rule) == set(names)
                else None
            )
        if values is None:
            unfilled.add(name or route)
            continue
        for kwargs in _combinations(values):
            url = _url(route, pattern, name, kwargs)
            filled.append(Filled(route, name or route, pattern, kwargs, url))
    return filled, unfilled


def _url(route: str, pattern: URLPattern, name: str | None, kwargs: dict) -> str:
    """The URL of ``pattern`` with ``kwargs``: reversed by name, or for a pattern without one
    (the admin's old object URLs and its catch-all) written from its route."""
    if name is not None:
        if positional(pattern):
            return reverse(name, args=[kwargs[k] for k in kwarg_names(pattern)])
        return reverse(name, kwargs=kwargs)

    def value(match):
        return quote(str(kwargs[match.group(1)]), safe="/")

    url = re.sub(r"<(?:\w+:)?(\w+)>", value, route)  # path("<path:object_id>/")
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", value, url)  # re_path("(?P<url>.*)$")
    return "/" + url.replace("^", "").replace("$", "")


def _combinations(values: dict) -> list[dict]:
    combinations = [{}]
    for kwarg, options in values.items():
        combinations = [{**c, kwarg: option} for c in combinations for option in options]
    return combinations


# --- Which parameters a view reads -----------------------------------------------------------


class ReadRecorder:
    """Records the names looked up in any ``QueryDict`` (``get``, ``[]``, ``getlist``, ``in``,
    ``pop``) while active — forms and FilterSets read their fields the same way."""

    METHODS = ("get", "__getitem__", "getlist", "__contains__", "pop")

    def __init__(self):
        self.names: set[str] = set()

    @contextmanager
    def recording(self):
        with pytest.MonkeyPatch.context() as patch:
            for method in self.METHODS:
                original = getattr(MultiValueDict, method)
                patch.setattr(MultiValueDict, method, self._recorded(original))
            yield self

    def _recorded(self, original):
        names = self.names

        def recorded(mapping, key, *args, **kwargs):
            if isinstance(mapping, QueryDict) and isinstance(key, str):
                names.add(key)
            return original(mapping, key, *args, **kwargs)

        return recorded


def admin_list_params(filled: Filled, user) -> set[str]:
    """The filter parameters of an admin list (``town__id__exact``, ``cqo``, date hierarchy
    parts…), from the list's own ``ChangeList``."""
    model_admin = model_admin_of(filled.pattern)
    request = RequestFactory().get(reverse(f"admin:{filled.name.split(':')[1]}"))
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = {name for spec in changelist.filter_specs for name in spec.expected_parameters()}
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        names |= {f"{field}__year", f"{field}__month", f"{field}__day"}
    return names


# --- The checks ------------------------------------------------------------------------------


class Failures(list):
    """The requests that failed, each named; ``request`` counts every request made."""

    count = 0

    def request(self, client: Client, url: str, data: dict | None, label: str):
        """GET ``url`` with ``data``; a 5xx or a raised exception is recorded with ``label``.
        The exception is caught only to name the URL and the parameters in the failure: the
        test fails on it all the same."""
        self.count += 1
        try:
            response = client.get(url, data or {})
        except Exception as error:  # noqa: BLE001 — recorded as a failure, never passed over
            self.append(f"{label}: GET {url} {_short(data)} raised {error!r:.300}")
            return None
        if response.status_code >= 500:
            self.append(f"{label}: GET {url} {_short(data)} -> {response.status_code}")
        return response


def _short(data):
    if not data:
        return ""
    return {k: (v[:20] + "…" if len(v) > 20 else v) for k, v in data.items()}


def rotated(names, shift: int) -> dict:
    """Every name at once, each with another hostile value; over ``len(HOSTILE_VALUES)``
    shifts every name has had every value."""
    return {
        name: HOSTILE_VALUES[(index + shift) % len(HOSTILE_VALUES)]
        for index, name in enumerate(sorted(names))
    }


def read_params(client: Client, url: str, failures: Failures, label: str) -> set[str]:
    """The query parameters the view behind ``url`` reads: asked with a query (forms built
    from ``request.GET or None`` read only when there is one), then again with each name
    found set, until no new name appears."""
    recorder = ReadRecorder()
    data = {"_": "1"}
    for _round in range(4):
        before = set(recorder.names)
        with recorder.recording():
            failures.request(client, url, data, label)
        if recorder.names <= before:
            break
        data = dict.fromkeys(recorder.names, "1") | {"_": "1"}
    return recorder.names - {"_"}


def hostile_requests(
    client: Client, filled: Filled, user, failures: Failures, *, alone: bool = True
) -> None:
    """Request ``filled.url`` plain, then with hostile query parameters:

    * refused as a whole (login, role, scope, method): once with every common name, each
      with another value — the view read nothing before refusing;
    * a page of the project, ``alone``: each parameter the view reads alone with each
      hostile value (so that no other bad value stops the view before it reaches that one),
      then every name at once, the values rotated (twice; once when the view reads none);
    * a page of the project, not ``alone`` (the roles after the first, whose pages run the
      same code on their scope): every name at once, rotated until each had every value
      (once when the view reads none);
    * an admin list or its export: the same, with the admin's names and the list's filters;
      any other admin page: once (the admin is Django's, and its add-ons', and reads its
      query as a whole).
    """
    label = f"{getattr(user, 'username', 'anonymous')} {filled.name}"
    response = failures.request(client, filled.url, None, label)
    if response is None or response.status_code in REFUSED:
        failures.request(client, filled.url, rotated(COMMON_PARAMS, 0), label)
        return
    if filled.is_admin:
        names = {*COMMON_PARAMS, *ADMIN_PARAMS}
        if filled.is_admin_list:
            names |= admin_list_params(filled, user)
        for shift in range(len(HOSTILE_VALUES) if filled.is_admin_list else 1):
            failures.request(client, filled.url, rotated(names, shift), label)
        return
    names = read_params(client, filled.url, failures, label)
    if alone:
        for name in sorted(names):
            for value in HOSTILE_VALUES:
                failures.request(client, filled.url, {name: value}, label)
    # A view that reads no parameter (a PDF, a detail page) needs one request to show it.
    shifts = 1 if not names else 2 if alone else len(HOSTILE_VALUES)
    for shift in range(shifts):
        failures.request(client, filled.url, rotated(names | set(COMMON_PARAMS), shift), label)


def client_for_role(request, role) -> tuple[Client, object]:
    """A client signed in as the cast's ``role`` (``None``: anonymous), and that user.
    ``raise_request_exception`` stays on: a view's exception reaches the test."""
    client = Client()
    user = request.getfixturevalue(role) if role else None
    if user is not None:
        client.force_login(user)
    return client, user


# --- Tests ------------------------------------------------------------------------------------


def test_every_pattern_with_kwargs_is_filled(cast):
    """A new URL with kwargs must be taught to this module (KWARG_VALUES), not skipped."""
    _filled, unfilled = filled_urls(cast)
    assert unfilled == UNFILLED


@pytest.mark.walk
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_no_page_fails_on_hostile_query_parameters(request, cast, role):
    client, user = client_for_role(request, role)
    failures = Failures()
    filled, _unfilled = filled_urls(cast)
    for entry in filled:
        hostile_requests(client, entry, user, failures, alone=role == ROLES[0])
    assert failures.count > len(filled)
    assert not failures, "\n".join(failures)


@pytest.mark.walk
def test_no_url_part_fails_on_hostile_text(request, cast):
    """The text parts of URLs — receipt tokens, drill-down codes, admin object and history
    ids — given very long, unicode, NUL-bearing or numeric-looking text: a page or a 404.
    An admin view shared by many models is tried on the first of them (same code)."""
    client, user = client_for_role(request, "bureau_admin")
    failures = Failures()
    filled, _unfilled = filled_urls(cast)
    seen = set()
    for entry in filled:
        for kwarg in text_kwargs(entry.pattern):
            key = (view_function(entry.pattern), kwarg) if entry.is_admin else (entry.url, kwarg)
            if key in seen:
                continue
            seen.add(key)
            for value in HOSTILE_URL_PARTS:
                try:
                    url = entry.with_kwargs(**{kwarg: value})
                except NoReverseMatch:
                    continue  # the pattern cannot hold this text: no URL reaches the view
                failures.request(client, url, None, f"{entry.name}[{kwarg}]")
    tried = {name for (_view, name) in seen}
    assert {"token", "code", "object_id", "history_id"} <= tried
    assert not failures, "\n".join(failures)


def test_a_view_that_raises_fails_the_check(request, settings):
    """The check itself: a view that fails on a parameter is reported, with its URL and
    parameter (the test client re-raises the view's exception)."""
    settings.ROOT_URLCONF = "tests.infra.urls_failing_view"
    client, user = client_for_role(request, "bureau_admin")
    failures = Failures()
    pattern = get_resolver("tests.infra.urls_failing_view").url_patterns[0]
    filled = Filled("failing/", "failing", pattern, {}, "/failing/")
    hostile_requests(client, filled, user, failures)
    assert failures
    assert all("failing" in failure and "page" in failure for failure in failures)
