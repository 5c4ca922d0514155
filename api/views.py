"""The provincial platform's read API (issue 18, SPEC §5 figures). Thin views: each names the
scope it needs, its queryset already joined for its serializer, and is audited per call."""

from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.models import CQO_POST, Appointment, Filing
from enterprises.models import Enterprise, Person
from reports import statistics
from training.models import TrainingAttendance

from . import serializers
from .auth import ApiTokenAuthentication, HasScope, TokenRateThrottle, reads_full_personal_data
from .models import Scope
from .pagination import IdCursorPagination
from .services import audit_api_call

UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description="Only rows changed at or after this time (ISO 8601: 2026-11-30T08:00:00+08:00).",
)


class ApiView(APIView):
    """What every data endpoint shares: the token, its scope, its rate and the audit row."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [TokenRateThrottle]
    required_scope = Scope.REGISTRY_READ

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["full"] = reads_full_personal_data(self.request)
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        audit_api_call(request, response, scope=self.required_scope)
        return response


EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(2999, 12, 31)


def _aware(value: str, name: str) -> datetime:
    try:
        parsed = parse_datetime(value)
        day = parse_date(value) if parsed is None else None
    except ValueError:  # well formed, but no such day or time
        parsed = day = None
    if parsed is None:
        if day is None:
            raise ValidationError({name: "Expected an ISO 8601 date or date-time."})
        parsed = datetime.combine(day, time.min)
    # The registry holds nothing before 1900 or after 2999: a time outside means "all" or
    # "none" (and keeps the time-zone conversion off the calendar's edges).
    if not EARLIEST.year <= parsed.year <= LATEST.year:
        parsed = EARLIEST if parsed.year < EARLIEST.year else LATEST
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _param(request, name: str) -> str:
    """The query parameter ``name``, '' when absent. Given, it must be one value, not empty."""
    values = request.query_params.getlist(name)
    if not values:
        return ""
    value = values[0].strip()
    if len(values) > 1 or not value or "\x00" in value or len(value) > 64:
        raise ValidationError({name: "Expected one value."})
    return value


class UpdatedSinceMixin:
    def filter_updated_since(self, queryset, field: str):
        value = _param(self.request, "updated_since")
        if value:
            queryset = queryset.filter(**{f"{field}__gte": _aware(value, "updated_since")})
        return queryset


@extend_schema(tags=["registry"], parameters=[UPDATED_SINCE])
class EnterpriseList(UpdatedSinceMixin, ApiView, generics.ListAPIView):
    """Enterprises of the county, deregistered ones included (``deregistered_on``), in id
    order, 100 a page (cursor: follow ``next``). Scope ``registry:read``."""

    serializer_class = serializers.EnterpriseSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        queryset = Enterprise.objects.select_related("town").order_by()
        return self.filter_updated_since(queryset, "updated_at")


@extend_schema(tags=["registry"])
class EnterpriseDetail(ApiView, generics.RetrieveAPIView):
    """One enterprise. Scope ``registry:read``."""

    serializer_class = serializers.EnterpriseSerializer
    queryset = Enterprise.objects.select_related("town")


@extend_schema(tags=["registry"])
class CurrentCqoList(ApiView, generics.ListAPIView):
    """The filed current appointments today (SPEC §3 "filed current appointment at D": filed,
    started, not ended), one per enterprise, with the CQO. ID number and mobile masked unless
    the token also has ``persons:read-full``. Scope ``registry:read``."""

    serializer_class = serializers.AppointmentSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        today = timezone.localdate()
        return (
            Appointment.objects.filter(statistics.filed_current_on(today))
            .select_related("person")
            .order_by()
        )


@extend_schema(tags=["registry"])
class FilingList(ApiView, generics.ListAPIView):
    """Filings (备案) with their status and number, in id order. Scope ``registry:read``."""

    serializer_class = serializers.FilingSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return Filing.objects.order_by()


@extend_schema(tags=["registry"])
class TrainingRecordList(ApiView, generics.ListAPIView):
    """Training attendances with their session, in id order. Scope ``registry:read``."""

    serializer_class = serializers.TrainingRecordSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return TrainingAttendance.objects.select_related("session", "person").order_by()


# What a platform can sync: the resource's name in the URL, its model and how the list
# endpoint shows a row.
FEEDS = {
    "enterprises": (
        lambda: Enterprise.objects.select_related("town"),
        serializers.EnterpriseSerializer,
    ),
    "appointments": (
        lambda: Appointment.objects.filter(post=CQO_POST).select_related("person"),
        serializers.AppointmentSerializer,
    ),
    "persons": (lambda: Person.objects.all(), serializers.PersonSerializer),
    "filings": (lambda: Filing.objects.all(), serializers.FilingSerializer),
    "training-records": (
        lambda: TrainingAttendance.objects.select_related("session", "person"),
        serializers.TrainingRecordSerializer,
    ),
}
MAX_AFTER = 2**62
CHANGE_NAMES = {"+": "created", "~": "changed", "-": "deleted"}


@extend_schema(
    tags=["sync"],
    parameters=[
        OpenApiParameter(
            "after",
            {"type": "integer", "minimum": 0, "maximum": MAX_AFTER},
            description="The last change_id already applied (0 or absent: from the start).",
        ),
        OpenApiParameter(
            "since",
            OpenApiTypes.DATETIME,
            description="For a first sync: only changes at or after this time.",
        ),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": 500},
            description="Changes per page, default 100.",
        ),
    ],
    responses=serializers.ChangesPageSerializer,
)
class ChangeFeed(ApiView):
    """Every change to one resource, oldest first, from its history (each save of a row
    leaves one): created, changed (a deregistration, a dismissal, an approval are changes) or
    deleted, with the row as it is now. Keep ``last`` and pass it as ``?after=`` next time;
    call again while ``more`` is true. Scope ``registry:read``."""

    resource = ""

    def get(self, request):
        make_queryset, serializer_class = FEEDS[self.resource]
        model = make_queryset().model
        after = _int(_param(request, "after") or "0", "after", low=0, high=MAX_AFTER)
        size = _int(_param(request, "page_size") or "100", "page_size", low=1, high=500)
        history = model.history.model.objects.filter(history_id__gt=after)
        since = _param(request, "since")
        if since:
            history = history.filter(history_date__gte=_aware(since, "since"))
        rows = list(
            history.order_by("history_id").values_list(
                "history_id", "history_date", "history_type", "id"
            )[: size + 1]
        )
        more = len(rows) > size
        rows = rows[:size]
        current = make_queryset().in_bulk({row[3] for row in rows})
        context = self.get_serializer_context()
        # One serializer for the page: its fields are built once, not once per row.
        page_rows = serializer_class(list(current.values()), many=True, context=context).data
        shown = {row["id"]: row for row in page_rows}
        results = [
            {
                "change_id": change_id,
                "at": at,
                "change": CHANGE_NAMES.get(kind, "changed"),
                "id": pk,
                "object": shown.get(pk) if kind != "-" else None,
            }
            for change_id, at, kind, pk in rows
        ]
        last = rows[-1][0] if rows else (after or None)
        page = {"results": results, "last": last, "more": more}
        return Response(serializers.ChangesPageSerializer(page).data)

    def get_serializer_context(self):
        return {"request": self.request, "full": reads_full_personal_data(self.request)}


def _int(value: str, name: str, *, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({name: "Expected a whole number."}) from None
    if not low <= number <= high:
        raise ValidationError({name: f"Expected {low}–{high}."})
    return number


@extend_schema(
    tags=["statistics"],
    parameters=[
        OpenApiParameter("date", OpenApiTypes.DATE, description="As of this day (default: today).")
    ],
    responses=serializers.StatisticsSerializer,
)
class Statistics(ApiView):
    """Each target's population, counted and rate as of a date, county-wide, per town and per
    industry section — the statistics engine's figures (SPEC §3), in the JSON of SPEC §5.
    Scope ``statistics:read``."""

    required_scope = Scope.STATISTICS_READ

    def get(self, request):
        value = _param(request, "date")
        day = timezone.localdate()
        if value:
            try:
                day = parse_date(value) if len(value) == 10 else None
            except ValueError:  # well formed, but no such day
                day = None
            if day is None:
                raise ValidationError({"date": "Expected YYYY-MM-DD."})
        return Response(statistics.as_json(day, statistics.compute_all(day)))


@extend_schema(exclude=True)
@api_view(["GET", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([AllowAny])
def not_found(request, rest=""):
    """Any other address under /api/: a JSON 404, as the endpoints answer, not the site's
    HTML page."""
    raise NotFound()
