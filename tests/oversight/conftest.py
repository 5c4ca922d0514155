import pytest


@pytest.fixture
def users(
    bureau_admin,
    reviewer,
    leader,
    town_officer,
    enterprise_user,
    outsider_town_officer,
    outsider_enterprise_user,
    no_role_user,
):
    return {
        "bureau_admin": bureau_admin,
        "reviewer": reviewer,
        "leader": leader,
        "town_officer": town_officer,
        "enterprise_user": enterprise_user,
        "outsider_town_officer": outsider_town_officer,
        "outsider_enterprise_user": outsider_enterprise_user,
        "no_role_user": no_role_user,
    }


PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"
