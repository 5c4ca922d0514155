"""The list pages end their tables with one partial, ``templates/_table_end.html`` (issue 10 §3):
a page with more rows than fit shows the pager and no empty message; a page with none shows
the empty message and no pager. One page of each kind the partial serves, across the apps:
the empty message as an alert in place of the table (review queue, training sessions,
incidents) or as the table's one row (enterprise registry with the town pager, reminder log).
"""

from urllib.parse import quote

import pytest

from appointments.models import FilingStatus
from tests.factories import (
    EnterpriseFactory,
    FilingFactory,
    QualityIncidentFactory,
    ReminderLogFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db

PER_PAGE = 50  # every page below shows 50 rows a page

# (page, who, path, make one row, the empty message, how the page shows it)
PAGES = [
    (
        "review queue",
        "reviewer",
        f"/review/?status={FilingStatus.APPROVED}",
        FilingFactory,
        "没有符合条件的备案。",
        'id="queue-empty"',
    ),
    (
        "training sessions",
        "reviewer",
        "/training/",
        TrainingSessionFactory,
        "没有符合条件的培训班。",
        'id="sessions-empty"',
    ),
    (
        "incidents",
        "reviewer",
        "/oversight/incidents/",
        QualityIncidentFactory,
        "没有质量安全事故记录。",
        'id="incidents-empty"',
    ),
    (
        "enterprise registry",
        "reviewer",
        "/enterprises/",
        EnterpriseFactory,
        "没有符合条件的企业。",
        '<td colspan="6" class="text-muted">',
    ),
    (
        "reminder log",
        "bureau_admin",
        "/reminders/",
        ReminderLogFactory,
        "还没有发送过提醒。",
        '<td colspan="7" class="text-muted">',
    ),
]
IDS = [page[0] for page in PAGES]


def _html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def _has_pager(html: str) -> bool:
    # The pagination partial links the next page as "…page=2" and labels the nav.
    return 'aria-label="分页"' in html and "page=2" in html


@pytest.mark.parametrize(("page", "who", "path", "make", "empty", "shown_as"), PAGES, ids=IDS)
def test_a_page_with_rows_shows_the_pager_and_no_empty_message(
    page, who, path, make, empty, shown_as, client_for, request
):
    make.create_batch(PER_PAGE + 1)
    html = _html(client_for(request.getfixturevalue(who)), path)
    assert _has_pager(html), page
    assert empty not in html, page
    assert shown_as not in html, page
    # The partial closed the table it ended.
    assert html.count("<table") == html.count("</table>"), page


@pytest.mark.parametrize(("page", "who", "path", "make", "empty", "shown_as"), PAGES, ids=IDS)
def test_a_page_without_rows_shows_the_empty_message_and_no_pager(
    page, who, path, make, empty, shown_as, client_for, request
):
    html = _html(client_for(request.getfixturevalue(who)), path)
    assert empty in html, page
    # The message stands where the page puts it: the alert with its id, or the table's row.
    assert html.index(shown_as) < html.index(empty), page
    assert not _has_pager(html), page
    assert html.count("<table") == html.count("</table>"), page


def test_a_page_of_a_single_screen_shows_neither(client_for, reviewer):
    """Rows that fit on one page: no pager (the pagination partial hides one page) and no
    empty message."""
    TrainingSessionFactory.create_batch(3)
    html = _html(client_for(reviewer), "/training/")
    assert not _has_pager(html)
    assert "没有符合条件的培训班。" not in html
    assert html.count('id="sessions"') == 1


def test_the_pager_keeps_the_query(client_for, reviewer):
    """The pager the partial includes still carries the page's filters to the next page."""
    FilingFactory.create_batch(PER_PAGE + 1)
    html = _html(client_for(reviewer), f"/review/?status={FilingStatus.APPROVED}")
    assert f"status={quote(FilingStatus.APPROVED)}&amp;page=2" in html
