"""The one place that says which role may do what (SPEC §1), as django-rules permissions.

Views and templates ask ``request.user.has_perm("app.action")`` — with an object,
``has_perm("app.action", obj)``, where the answer depends on the object's town or
enterprise — and never compare roles themselves. Which *rows* a role sees is the access
helper's ``scope`` (``access.py``); whether it may *act* is answered here.
``tests/accounts/test_permissions.py`` prints the whole role × permission table and pins it.

A superuser counts as a bureau admin here (``User.effective_role``), not as "everything":
``User.has_perm`` asks these rules first for the permissions they name.
"""

import rules

from . import access

is_bureau = rules.predicate(access.is_bureau)
is_bureau_admin = rules.predicate(access.is_bureau_admin)
is_leader = rules.predicate(access.is_leader)
is_town_officer = rules.predicate(access.is_town_officer)
is_enterprise_user = rules.predicate(access.is_enterprise_user)


def _enterprise_of(obj):
    """The enterprise an object belongs to: itself, or its ``enterprise``."""
    if obj is None:
        return None
    return obj if hasattr(obj, "uscc") else getattr(obj, "enterprise", None)


def _own(has_role, same):
    """A predicate: ``has_role(user)``; for an object, also ``same(user, its enterprise)``."""

    def predicate(user, obj=None):
        if not has_role(user):
            return False
        if obj is None:
            return True
        enterprise = _enterprise_of(obj)
        return enterprise is not None and same(user, enterprise)

    return rules.predicate(predicate)


# An enterprise user; for an object, one of their own enterprise.
is_own_enterprise = _own(access.is_enterprise_user, lambda u, e: u.enterprise_id == e.pk)
# A town officer; for an object, one of an enterprise of their own town.
is_own_town = _own(access.is_town_officer, lambda u, e: u.town_id == e.town_id)


# permission: who (SPEC §1 "may do")
PERMISSIONS = {
    # Records of an enterprise and the people in them.
    "enterprises.view_enterprise_record": is_bureau | is_leader | is_own_town | is_own_enterprise,
    # The enterprise and CQO registries: the county's lists (a town officer's: their town's).
    "enterprises.view_registry": is_bureau | is_leader | is_town_officer,
    "enterprises.view_personal_data": is_bureau,
    # Every change is kept in history (SPEC §2); the bureau reads it.
    "enterprises.view_change_history": is_bureau,
    "enterprises.complete_enterprise": is_bureau,
    "enterprises.import_data": is_bureau,
    # Vacancies: town officers chase their town's, the bureau the county's.
    "enterprises.view_vacancies": is_bureau | is_town_officer,
    "enterprises.chase_enterprise": is_bureau | is_own_town,
    # Filings.
    "appointments.file_for_enterprise": is_own_enterprise,
    "appointments.review_filing": is_bureau,
    "appointments.view_receipt": is_bureau | is_own_enterprise,
    # Letters, sanction and evaluation documents; the object's scope is checked by the view.
    "appointments.open_private_files": rules.predicate(access.opens_private_files),
    # Oversight: incidents, sanctions and the risk feed.
    "appointments.view_sanctions": is_bureau | is_leader | is_town_officer | is_enterprise_user,
    "appointments.record_sanction": is_bureau,
    "appointments.view_risk": is_bureau | is_town_officer,
    "appointments.interview_on_risk": is_bureau,
    "appointments.set_risk_weights": is_bureau_admin,
    # The bureau's own name, county, telephone and seal (receipts, reports, page header).
    "bureau.edit_profile": is_bureau_admin,
    # Training and evaluations.
    "training.view_sessions": is_bureau | is_leader | is_town_officer,
    "training.view_training_records": is_bureau | is_leader | is_town_officer | is_enterprise_user,
    "training.record_training": is_bureau,
    "training.view_evaluations": is_bureau | is_leader | is_town_officer | is_enterprise_user,
    "training.score_evaluation": is_bureau,
    "training.self_assess": is_own_enterprise,
    # Excellent CQO selection.
    "training.view_selection": is_bureau | is_leader | is_town_officer | is_enterprise_user,
    "training.manage_selection": is_bureau_admin,
    "training.review_nominations": is_bureau,
    "training.nominate": is_own_enterprise | is_own_town,
    "training.view_eligibility": is_bureau | is_leader,
    # Dashboards, drill-downs and reports.
    "reports.view_dashboard": is_bureau | is_leader | is_town_officer,
    "reports.view_county_dashboard": is_bureau | is_leader,
    "reports.view_town_dashboard": is_town_officer,
    "reports.explain_figures": is_bureau | is_leader | is_town_officer,
    "reports.view_assessment": is_bureau | is_leader,
    "reports.check_honours_eligibility": is_bureau,
    "reports.take_snapshots": is_bureau,
    # The yearly confirmation.
    "confirmations.view_rounds": is_bureau | is_leader | is_town_officer,
    "confirmations.manage_rounds": is_bureau_admin,
    "confirmations.view_filings": is_bureau,
    "confirmations.confirm_record": is_own_enterprise,
    # Reminders.
    "reminders.manage_rules": is_bureau_admin,
    "reminders.view_history": is_bureau | is_town_officer,
    # The audit trail (issue 14): read and exported by bureau admins only.
    "audit.view_trail": is_bureau_admin,
    "audit.view_auditevent": is_bureau_admin,
    # The provincial platform's API tokens (issue 18): issued and revoked by the bureau admin.
    "api.manage_tokens": is_bureau_admin,
    # Online assessment (issue 20): the bureau keeps the question bank, runs sittings and
    # reads results; leaders read results.
    "exams.manage_questions": is_bureau,
    "exams.manage_sittings": is_bureau,
    "exams.view_results": is_bureau | is_leader,
    # The results overview per town and per post: the county for the bureau and leaders, a
    # town officer's own town (SPEC §1: "statistics of their own town", like training).
    "exams.view_results_overview": is_bureau | is_leader | is_town_officer,
    # Accounts.
    "accounts.manage_users": is_bureau_admin,
    "accounts.manage_team": is_own_enterprise,
}

for _name, _predicate in PERMISSIONS.items():
    rules.add_perm(_name, _predicate)


# Model permissions of the registry's own models, for the admin and django-import-export
# (which ask ``user.has_perm("app.add_model")``): granted by role, not by per-user rows, so
# the role stays the single source of what a user may do. Only a bureau admin deletes
# records or manages users; history and workflow events are read-only for everyone.
REGISTRY_APPS = (
    "enterprises",
    "appointments",
    "training",
    "reports",
    "confirmations",
    "reminders",
    "exams",
)
READ_ONLY_MODELS = {
    "appointments.filingevent",
    "appointments.filingnumbercounter",
    "reports.snapshotrun",
    "reports.snapshotfigure",
    "reports.snapshotindicator",
    "confirmations.confirmationfigure",
    "reminders.reminderlog",
    # Exam records are written by their pages' workflows (issue 20): the admin reads them.
    "exams.questionversion",
    "exams.paperrule",
    "exams.papersection",
    "exams.sitting",
    "exams.candidate",
    "exams.paper",
    "exams.paperquestion",
}
# Settings-like data that only a bureau admin may change (SPEC §1: "users, towns, targets").
ADMIN_EDITS_MODELS = {
    "reports.target",
    "enterprises.town",
    "appointments.riskweight",
    "appointments.posttype",
    "reminders.reminderrule",
}


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
    rules.add_perm("accounts.view_accountevent", is_bureau_admin)


_register_model_permissions()
