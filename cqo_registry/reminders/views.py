"""Reminders (/reminders/, issue 17 §4): the schedule table and what was sent, for the bureau
admin (who changes the schedule); each enterprise's reminder history for the bureau and the
enterprise's town officer. Others get 403 (the anonymous the login page); an enterprise or a
rule outside the user's scope is a 404."""

from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cqo_registry import params
from cqo_registry.accounts.access import get_scoped_or_404, permission_required
from cqo_registry.pages import form_page
from enterprises.selectors import enterprise_list

from . import services
from .forms import ReminderRuleForm
from .models import BEFORE_KINDS, ReminderLog, ReminderRule, ReminderType

PER_PAGE = 50
admin_only = permission_required("reminders.manage_rules")
history_readers = permission_required("reminders.view_history")


def _schedule_context(request, form) -> dict:
    """The schedule page's context: the rules, the new-rule ``form`` and a page of the log
    (filtered by ``?kind=``)."""
    kind = params.choice(request, "kind", ReminderType.values)
    logs = ReminderLog.objects.select_related("enterprise", "rule")
    if kind:
        logs = logs.filter(kind=kind)
    page = params.page(request, Paginator(logs, PER_PAGE))
    return {
        "rules": ReminderRule.objects.all(),
        "before_kinds": BEFORE_KINDS,
        "form": form,
        "page": page,
        "kind": kind,
        "kinds": ReminderType.choices,
        "query": urlencode({"kind": kind}) if kind else "",
    }


@admin_only
@require_http_methods(["GET", "POST"])
def schedule(request):
    """GET: the schedule and the log; POST: a new line of the schedule."""
    return form_page(
        request,
        ReminderRuleForm,
        "reminders/schedule.html",
        lambda form: _schedule_context(request, form),
        on_valid=lambda form: services.rule_save(rule=form.instance, actor=request.user),
        success_message=_("已添加提醒设置。"),
        redirect_to="reminders:schedule",
    )


@admin_only
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int):
    rule = get_object_or_404(ReminderRule, pk=pk)
    return form_page(
        request,
        partial(ReminderRuleForm, instance=rule),
        "reminders/rule_form.html",
        {"rule": rule},
        on_valid=lambda form: services.rule_save(rule=form.instance, actor=request.user),
        success_message=_("已保存提醒设置。"),
        redirect_to="reminders:schedule",
    )


@admin_only
@require_POST
def rule_delete(request, pk: int):
    rule = get_object_or_404(ReminderRule, pk=pk)
    services.rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("已删除提醒设置。"))
    return redirect("reminders:schedule")


@history_readers
def enterprise(request, pk: int):
    """What was sent to one enterprise, and when."""
    target = get_scoped_or_404(enterprise_list(request.user), pk=pk)
    return render(
        request,
        "reminders/enterprise.html",
        {"enterprise": target, "rows": services.enterprise_history(target)},
    )
