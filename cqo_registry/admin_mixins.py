"""Behaviour shared by the back office's model admins (imported by each app's ``admin.py``;
``admin_site.py`` is loaded before the models and cannot hold these)."""

import re

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from cqo_registry.accounts.access import is_bureau_admin
from enterprises.validators import normalize_id_number


class CodeSearchMixin:
    """Admin search that reads a USCC or an ID number the way forms and imports do: typed
    with spaces, dashes, full-width characters or a lower-case ``x``, it is searched in its
    stored spelling. Other search text is left as it is."""

    def get_search_results(self, request, queryset, search_term):
        code = normalize_id_number(search_term)
        if code != search_term.strip() and CODE_SEARCH_RE.fullmatch(code):
            search_term = code
        return super().get_search_results(request, queryset, search_term)


# What a searched code looks like once normalised: part of a USCC or an ID number.
CODE_SEARCH_RE = re.compile(r"[0-9A-Z]{6,18}")


class ImportPageMixin(ImportExportMixin):
    """django-import-export's admin buttons, with *import* leading to the product's own import
    page (/imports/): one reading layer, one check-then-confirm flow with every bad row named,
    large files in the background — the same for the admin, the training page and the command
    line. Export stays django-import-export's."""

    import_kind = ""  # the import file of this model (cqo_registry.importing.registry)

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        return redirect("importing:new", kind=self.import_kind)

    def process_import(self, request, **kwargs):
        return self.import_action(request, **kwargs)

    def get_data_for_export(self, request, queryset, **kwargs):
        """django-import-export's rows, and a row in the audit trail saying who exported how
        many rows of which model (issue 14 §1)."""
        from cqo_registry.audit.services import audit_export

        data = super().get_data_for_export(request, queryset, **kwargs)
        audit_export(request, export=f"admin:{self.model._meta.label_lower}", rows=len(data))
        return data


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin, whose history pages answer an id that cannot be one
    (letters, a NUL byte) like Django's change page does — "does not exist" and back to the
    admin index — rather than passing it to the query, where it raised a server error."""

    def _is_pk(self, value) -> bool:
        try:
            self.model._meta.pk.to_python(unquote(str(value)))
        except (ValidationError, ValueError):
            return False
        return True

    def history_view(self, request, object_id, extra_context=None):
        if not self._is_pk(object_id):
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        version = str(version_id)
        if not (self._is_pk(object_id) and version.isascii() and version.isdigit()):
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows the rows a workflow wrote and changes nothing: no add, change or
    delete, whatever the role's model permissions say (snapshot figures, question versions,
    a paper's sections and questions)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """A model admin whose rows the workflows write and nobody adds, changes or deletes here
    (the audit trail, the account events, the API tokens)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BureauAdminReadOnlyMixin(ReadOnlyAdminMixin):
    """A read-only model admin that bureau admins read and nobody else sees (the audit trail,
    the API tokens)."""

    def has_module_permission(self, request):
        return is_bureau_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_bureau_admin(request.user)
