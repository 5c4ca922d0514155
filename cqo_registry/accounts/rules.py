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
    return enterprise is not None and access.is_enterprise_user(user) and (
        user.enterprise_id == enterprise.pk
    )


@rules.predicate
def is_own_town(user, enterprise):
    return enterprise is not None and access.is_town_officer(user) and (
        user.town_id == enterprise.town_id
    )


rules.add_perm("enterprises.view_enterprise_record", is_bureau | is_leader | is_own_town | is_own_enterprise)
rules.add_perm("appointments.file_for_enterprise", is_own_enterprise)
rules.add_perm("appointments.review_filing", is_bureau)
rules.add_perm("enterprises.chase_enterprise", is_bureau | is_own_town)
rules.add_perm("reports.view_dashboard", is_bureau | is_leader | is_town_officer)
rules.add_perm("accounts.manage_users", is_bureau_admin)
rules.add_perm("enterprises.import_data", is_bureau)
rules.add_perm("enterprises.view_personal_data", is_bureau)
