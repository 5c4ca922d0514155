"""The admin's app-level question — "may this user see anything of app X?" — answered by the
same role rules as its model permissions (``rules.py``), so an app is listed, and its index
page opens, exactly when one of its models may be viewed, added, changed or deleted.

django-rules answers ``has_perm`` only; without this the admin asked ``ModelBackend``, which
knows only per-user permission rows (the project grants none): a reviewer saw an empty admin
index and a 404 at ``/admin/enterprises/`` while the model pages themselves opened."""

import re

import rules
from django.apps import apps

MODEL_PERMISSION = re.compile(r"(?P<app>[\w]+)\.(view|add|change|delete)_\w+")


class RoleModulePermissionBackend:
    """Answers ``has_module_perms`` only: it authenticates nobody and loads no user (no
    ``get_user``, so that Django never picks it as the backend of a session)."""

    def authenticate(self, request, **credentials):
        return None

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        """True when ``user_obj`` holds, by role, any model permission of ``app_label``."""
        if not user_obj.is_active:
            return False
        for name in rules.permissions.permissions:
            match = MODEL_PERMISSION.fullmatch(name)
            if (
                match
                and match["app"] == app_label
                and name.split("_", 1)[1] in apps.all_models[app_label]
                and rules.has_perm(name, user_obj)
            ):
                return True
        return False
