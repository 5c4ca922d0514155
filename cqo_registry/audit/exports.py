"""The audit trail's Excel export (issue 15 §2): its rows and columns, used by the synchronous
export (``views.export``) and by the background task (:class:`AuditExport`) alike."""

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqo_registry.exports.base import DayListExport

from .forms import AuditSearchForm
from .selectors import audit_events


def searched_events(data: QueryDict):
    """The events the search form of ``data`` (a page's query) finds: every event when
    ``data`` is empty, ``None`` when the form is invalid."""
    if not data:
        return audit_events()
    return form_events(AuditSearchForm(data))


def form_events(form: AuditSearchForm):
    """The events the bound search ``form`` finds, ``None`` when it is invalid (the page
    shows the form's errors with it)."""
    if not form.is_valid():
        return None
    found = form.cleaned_data
    return audit_events(
        user=found["user"].strip(),
        obj=found["object"].strip(),
        action=found["action"],
        date_from=found["date_from"],
        date_to=found["date_to"],
    )


def audit_columns():
    local = timezone.localtime
    return [
        (_("时间"), 20, lambda e: local(e.at).replace(tzinfo=None)),
        (_("用户名"), 16, lambda e: e.username),
        (_("IP 地址"), 18, lambda e: e.ip or ""),
        (_("操作"), 16, lambda e: e.get_action_display()),
        (_("对象类型"), 20, lambda e: e.object_type),
        (_("对象编号"), 10, lambda e: e.object_id),
        (_("涉及对象"), 30, lambda e: e.object_repr),
        (_("记录详情"), 40, lambda e: ", ".join(f"{k}={v}" for k, v in e.detail.items())),
        (_("访问页面"), 40, lambda e: e.path),
    ]


class AuditExport(DayListExport):
    """``query``: the search."""

    slug = "audit"
    permission = "audit.view_trail"
    audit_name = "audit:export"
    heading = gettext_lazy("审计记录")
    filename_format = "audit-{day:%Y%m%d}.xlsx"

    def list_rows(self, user, query, day):
        found = searched_events(query)
        if found is None:
            raise ValueError(_("查询条件无效。"))
        return found

    def list_columns(self, user, day):
        return audit_columns()
