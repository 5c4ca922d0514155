"""The Django admin as the bureau's back office: open to bureau roles only (by role, not by
the ``is_staff`` flag, so that a leader or enterprise user can never reach it).

Links into the admin are parameters a person can edit (issue 8 §3): a filter the list no
longer understands or an id that is not one is answered with the admin's own messages, never
a server error — ``RegistryAdminSite.admin_view`` for filters of add-on views (the export),
``admin_mixins.HistoryAdmin`` for the history pages' ids."""

from functools import update_wrapper

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.options import IncorrectLookupParameters
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def _refuse(*args, **kwargs) -> bool:
    return False


class RegistryAdminSite(admin.AdminSite):
    def has_permission(self, request):
        from .accounts import access  # models are not loaded when this module is imported

        return access.is_bureau(request.user)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Records only a workflow writes (``rules.READ_ONLY_MODELS``: a filing's events, the
        reminders sent, snapshots) stay read-only for a superuser too, who otherwise passes
        every permission check: the demo's admin could add a filing event by hand (a forged
        line in the history) or post an empty reminder-log form and get a server error."""
        super().register(model_or_iterable, admin_class, **options)
        from .accounts.rules import READ_ONLY_MODELS

        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            if f"{model._meta.app_label}.{model._meta.model_name}" in READ_ONLY_MODELS:
                model_admin = self._registry[model]
                for action in ("add", "change", "delete"):
                    setattr(model_admin, f"has_{action}_permission", _refuse)

    def login(self, request, extra_context=None):
        """The admin has no sign-in of its own: its login page sends to the product's, where
        the CAPTCHA, the throttles and the second factor apply (issue 13)."""
        from django.contrib.auth.views import redirect_to_login
        from django.urls import reverse

        from . import params

        target = params.text(request, "next", max_length=2000) or reverse("admin:index")
        return redirect_to_login(target, login_url=reverse("login"))

    def admin_view(self, view, cacheable=False):
        """Django's changelist turns filters it cannot apply into its "?e=1" page; views that
        packages add over the same filters (django-import-export's export) raise
        ``IncorrectLookupParameters`` instead. Here such a view reopens without the query,
        with a message."""
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            try:
                response = inner(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()  # the list's query runs here: inside the guard
                return response
            except (IncorrectLookupParameters, OverflowError):
                # OverflowError: a number past SQLite's 64 bits in a filter (?town=9999…).
                messages.warning(request, _("链接中的筛选条件无效，已取消筛选。"))
                return redirect(request.path)

        return update_wrapper(guarded, inner)


class RegistryAdminConfig(AdminConfig):
    default_site = "cqo_registry.admin_site.RegistryAdminSite"
