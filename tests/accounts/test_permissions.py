"""The one permission vocabulary (``cqo_registry/accounts/rules.py``, SPEC §1): the whole
role × permission table, printed and pinned, and the object-level answers for permissions
that depend on the object's town or enterprise."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cqo_registry.accounts.rules import PERMISSIONS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# bureau admin, reviewer, town officer, leader, enterprise user, no role, anonymous, superuser
COLUMNS = ["admin", "revw", "town", "lead", "ent", "none", "anon", "super"]

# Y: allowed; . refused. One row per permission, in the rules module's order.
TABLE = """
                                   admin  revw  town  lead   ent  none  anon super
enterprises.view_enterprise_record     Y     Y     Y     Y     Y     .     .     Y
enterprises.view_registry              Y     Y     Y     Y     .     .     .     Y
enterprises.view_personal_data         Y     Y     .     .     .     .     .     Y
enterprises.view_change_history        Y     Y     .     .     .     .     .     Y
enterprises.complete_enterprise        Y     Y     .     .     .     .     .     Y
enterprises.import_data                Y     Y     .     .     .     .     .     Y
enterprises.view_vacancies             Y     Y     Y     .     .     .     .     Y
enterprises.chase_enterprise           Y     Y     Y     .     .     .     .     Y
appointments.file_for_enterprise       .     .     .     .     Y     .     .     .
appointments.review_filing             Y     Y     .     .     .     .     .     Y
appointments.view_receipt              Y     Y     .     .     Y     .     .     Y
appointments.open_private_files        Y     Y     Y     .     Y     .     .     Y
appointments.view_sanctions            Y     Y     Y     Y     Y     .     .     Y
appointments.record_sanction           Y     Y     .     .     .     .     .     Y
appointments.view_risk                 Y     Y     Y     .     .     .     .     Y
appointments.interview_on_risk         Y     Y     .     .     .     .     .     Y
appointments.set_risk_weights          Y     .     .     .     .     .     .     Y
bureau.edit_profile                    Y     .     .     .     .     .     .     Y
training.view_sessions                 Y     Y     Y     Y     .     .     .     Y
training.view_training_records         Y     Y     Y     Y     Y     .     .     Y
training.record_training               Y     Y     .     .     .     .     .     Y
training.view_evaluations              Y     Y     Y     Y     Y     .     .     Y
training.score_evaluation              Y     Y     .     .     .     .     .     Y
training.self_assess                   .     .     .     .     Y     .     .     .
training.view_selection                Y     Y     Y     Y     Y     .     .     Y
training.manage_selection              Y     .     .     .     .     .     .     Y
training.review_nominations            Y     Y     .     .     .     .     .     Y
training.nominate                      .     .     Y     .     Y     .     .     .
training.view_eligibility              Y     Y     .     Y     .     .     .     Y
reports.view_dashboard                 Y     Y     Y     Y     .     .     .     Y
reports.view_county_dashboard          Y     Y     .     Y     .     .     .     Y
reports.view_town_dashboard            .     .     Y     .     .     .     .     .
reports.explain_figures                Y     Y     Y     Y     .     .     .     Y
reports.view_assessment                Y     Y     .     Y     .     .     .     Y
reports.check_honours_eligibility      Y     Y     .     .     .     .     .     Y
reports.take_snapshots                 Y     Y     .     .     .     .     .     Y
confirmations.view_rounds              Y     Y     Y     Y     .     .     .     Y
confirmations.manage_rounds            Y     .     .     .     .     .     .     Y
confirmations.view_filings             Y     Y     .     .     .     .     .     Y
confirmations.confirm_record           .     .     .     .     Y     .     .     .
reminders.manage_rules                 Y     .     .     .     .     .     .     Y
reminders.view_history                 Y     Y     Y     .     .     .     .     Y
audit.view_trail                       Y     .     .     .     .     .     .     Y
audit.view_auditevent                  Y     .     .     .     .     .     .     Y
api.manage_tokens                      Y     .     .     .     .     .     .     Y
exams.manage_questions                 Y     Y     .     .     .     .     .     Y
exams.manage_sittings                  Y     Y     .     .     .     .     .     Y
exams.view_results                     Y     Y     .     Y     .     .     .     Y
exams.view_results_overview            Y     Y     Y     Y     .     .     .     Y
accounts.manage_users                  Y     .     .     .     .     .     .     Y
accounts.manage_team                   .     .     .     .     Y     .     .     .
"""


@pytest.fixture
def people(bureau_admin, reviewer, town_officer, leader, enterprise_user, no_role_user) -> list:
    return [
        bureau_admin,
        reviewer,
        town_officer,
        leader,
        enterprise_user,
        no_role_user,
        AnonymousUser(),
        UserFactory(username="root", is_superuser=True, is_staff=True),
    ]


def table(people) -> str:
    width = max(len(name) for name in PERMISSIONS)
    lines = [" " * width + " " + " ".join(f"{c:>5}" for c in COLUMNS)]
    for name in PERMISSIONS:
        answers = ["Y" if user.has_perm(name) else "." for user in people]
        lines.append(f"{name:<{width}} " + " ".join(f"{a:>5}" for a in answers))
    return "\n".join(lines)


def test_role_permission_table(people, capsys):
    printed = table(people)
    print(printed)
    assert printed == TABLE.strip("\n")


def test_an_inactive_user_may_do_nothing(bureau_admin):
    bureau_admin.is_active = False
    assert not any(bureau_admin.has_perm(name) for name in PERMISSIONS)


def test_object_permissions_follow_town_and_enterprise(
    county, town_officer, outsider_town_officer, enterprise_user, reviewer, leader
):
    home, outsider = county.home_enterprise, county.outsider_enterprise
    appointment = county.home_appointment
    assert town_officer.has_perm("enterprises.chase_enterprise", home)
    assert not town_officer.has_perm("enterprises.chase_enterprise", outsider)
    assert not outsider_town_officer.has_perm("enterprises.chase_enterprise", home)
    assert reviewer.has_perm("enterprises.chase_enterprise", outsider)
    assert not leader.has_perm("enterprises.chase_enterprise", home)
    # Through an object's enterprise (an appointment):
    assert enterprise_user.has_perm("training.self_assess", appointment)
    assert not enterprise_user.has_perm("training.self_assess", county.outsider_appointment)
    assert enterprise_user.has_perm("enterprises.view_enterprise_record", home)
    assert not enterprise_user.has_perm("enterprises.view_enterprise_record", outsider)
    assert leader.has_perm("enterprises.view_enterprise_record", outsider)
    assert town_officer.has_perm("training.nominate", appointment)
    assert not outsider_town_officer.has_perm("training.nominate", appointment)


def test_views_ask_permissions_not_roles():
    """No view module decides by role itself: role_required is gone, views use
    permission_required / has_perm."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for path in root.glob("*/**/views*/*.py")
        if ".venv" not in path.parts and "role_required(" in path.read_text(encoding="utf-8")
    ] + [
        str(path.relative_to(root))
        for path in root.glob("*/**/views*.py")
        if ".venv" not in path.parts and "role_required(" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
