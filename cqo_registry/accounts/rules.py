"""Object permissions (django-rules) named after what a user does, for views and templates
(``{% has_perm "appointments.review_filing" user %}``). Predicates wrap ``access.py``."""

import rules

from . import access

is_bureau = rules.predicate(access.is_bureau)
is_bureau_admin = rules.predicate(access.is_bureau_admin)
is_leader = rules.predicate(access.is_leader)
is_town_officer = rules.predicate(access.is_town_officer)
is_enterprise_user = rules.predicate(access.is_enterprise_user)


@rules.predicate
def is_own_enterprise(user, enterprise):
    return (
        enterprise is not None
        and access.is_enterprise_user(user)
        and (user.enterprise_id == enterprise.pk)
    )


@rules.predicate
def is_own_town(user, enterprise):
    return (
        enterprise is not None
        and access.is_town_officer(user)
        and (user.town_id == enterprise.town_id)
    )


rules.add_perm(
    "enterprises.view_enterprise_record",
    is_bureau | is_leader | is_own_town | is_own_enterprise,
)
rules.add_perm("appointments.file_for_enterprise", is_own_enterprise)
rules.add_perm("appointments.review_filing", is_bureau)
rules.add_perm("enterprises.chase_enterprise", is_bureau | is_own_town)
rules.add_perm("reports.view_dashboard", is_bureau | is_leader | is_town_officer)
rules.add_perm("accounts.manage_users", is_bureau_admin)
rules.add_perm("enterprises.import_data", is_bureau)
rules.add_perm("enterprises.view_personal_data", is_bureau)


# Model permissions of the registry's own models, for the admin and django-import-export
# (which ask ``user.has_perm("app.add_model")``): granted by role, not by per-user rows, so
# the role stays the single source of what a user may do. Only a bureau admin deletes
# records or manages users; history and workflow events are read-only for everyone.
REGISTRY_APPS = ("enterprises", "appointments", "training", "reports")
READ_ONLY_MODELS = {
    "appointments.filingevent",
    "appointments.filingnumbercounter",
    "reports.snapshotrun",
    "reports.snapshotfigure",
    "reports.snapshotindicator",
}
# Settings-like data that only a bureau admin may change (SPEC §1: "users, towns, targets").
ADMIN_EDITS_MODELS = {"reports.target", "enterprises.town"}


def _register_model_permissions():
    from django.apps import apps

    for app_label in REGISTRY_APPS:
        for model in apps.get_app_config(app_label).get_models():
            label = f"{app_label}.{model._meta.model_name}"
            if model._meta.model_name.startswith("historical"):
                continue
            rules.add_perm(f"{app_label}.view_{model._meta.model_name}", is_bureau)
            if label in READ_ONLY_MODELS:
                continue
            editor = is_bureau_admin if label in ADMIN_EDITS_MODELS else is_bureau
            rules.add_perm(f"{app_label}.add_{model._meta.model_name}", editor)
            rules.add_perm(f"{app_label}.change_{model._meta.model_name}", editor)
            rules.add_perm(f"{app_label}.delete_{model._meta.model_name}", is_bureau_admin)
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"accounts.{action}_user", is_bureau_admin)


_register_model_permissions()
