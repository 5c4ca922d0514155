"""The error pages (400, 403, 404, 500) in the site's layout, Chinese by default, with a way back
(issue 12, "Error pages"); and the log filter that keeps an ordinary 403 — a person following a
link they may not use — from writing a traceback."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _page(request, status: int, title: str, text: str):
    """The error page in the site's layout; should the layout itself fail (static files not
    collected, a context processor's query failing), a plain page with the same words — an
    error page never fails."""
    context = {"error_status": status, "error_title": title, "error_text": text}
    try:
        return render(request, "_error.html", context, status=status)
    except Exception:
        logger.exception("The %s page could not be rendered in the site layout", status)
        return HttpResponse(loader.get_template("_error_plain.html").render(context), status=status)


def bad_request(request, exception=None):
    """A request the site cannot take as it is: a NUL byte in the address
    (:class:`cqo_registry.middleware` refuses it), a malformed upload, a host not allowed.
    Such a request may be refused before the locale middleware has chosen its language: the
    page chooses it from the request the same way."""
    with translation.override(translation.get_language_from_request(request)):
        return _page(
            request,
            400,
            _("请求有误"),
            _(
                "请求中含有系统无法处理的内容（例如链接中的非法字符）。请检查链接，或从首页重新进入。"
            ),
        )


def permission_denied(request, exception=None):
    return _page(
        request,
        403,
        _("没有权限"),
        _("您的账号没有打开此页面或执行此操作的权限。如需办理，请联系本单位的管理员。"),
    )


def page_not_found(request, exception=None):
    return _page(
        request,
        404,
        _("页面不存在"),
        _("您要找的页面不存在，或您的账号无权查看它。请检查链接，或从首页重新进入。"),
    )


def server_error(request):
    """Rendered without the request's context processors: the database may be what failed."""
    context = {
        "error_status": 500,
        "error_title": _("系统出错"),
        "error_text": _("系统处理您的请求时出错，已记录。请稍后再试。"),
    }
    try:
        body = loader.get_template("_error.html").render(context)
    except Exception:
        body = loader.get_template("_error_plain.html").render(context)
    return HttpResponseServerError(body)


class OrdinaryForbiddenFilter(logging.Filter):
    """On ``django.request``: a 403 raised as ``PermissionDenied`` is logged as one line
    (method, path, status), without the traceback Django attaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403 and record.exc_info:
            if isinstance(record.exc_info[1], PermissionDenied):
                record.exc_info = None
                record.exc_text = None
        return True
