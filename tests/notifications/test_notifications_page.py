"""The notifications page: a user sees and marks only their own notifications."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cqo_registry.accounts.models import Notification, NotificationKind

LIST_URL = reverse("notifications:list")
READ_ALL_URL = reverse("notifications:read_all")


def make(user, title, *, url="", read=False):
    return Notification.objects.create(
        user=user,
        kind=NotificationKind.VACANCY_OVERDUE,
        title=title,
        body=f"{title}的内容",
        url=url,
        read_at=timezone.now() if read else None,
    )


def read_url(notification):
    return reverse("notifications:read", args=[notification.pk])


@pytest.fixture
def inbox(town_officer, outsider_town_officer):
    return {
        "old": make(town_officer, "较早的已读通知", read=True),
        "new": make(town_officer, "最新的未读通知", url="/town/vacancies/"),
        "theirs": make(outsider_town_officer, "别人的通知", url="/town/vacancies/"),
    }


def test_lists_own_notifications_newest_first_unread_highlighted(client_for, town_officer, inbox):
    response = client_for(town_officer).get(LIST_URL)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [inbox["new"], inbox["old"]]
    html = response.content.decode()
    assert "别人的通知" not in html
    assert html.count("unread") == 1
    assert f'data-notification="{inbox["new"].pk}"' in html
    # The navigation's badge counts the unread one.
    assert response.context["unread_notifications"] == 1


def test_mark_read_follows_the_link(client_for, town_officer, inbox):
    response = client_for(town_officer).post(read_url(inbox["new"]))
    assert response.status_code == 302
    assert response["Location"] == "/town/vacancies/"
    inbox["new"].refresh_from_db()
    assert inbox["new"].read_at is not None


def test_mark_read_without_a_link_returns_to_the_list(client_for, town_officer):
    note = make(town_officer, "无链接")
    response = client_for(town_officer).post(read_url(note))
    assert response["Location"] == LIST_URL


def test_an_external_link_is_not_followed(client_for, town_officer):
    note = make(town_officer, "外部链接", url="https://evil.example/phish")
    response = client_for(town_officer).post(read_url(note))
    assert response["Location"] == LIST_URL


def test_another_users_notification_is_404(client_for, town_officer, inbox):
    response = client_for(town_officer).post(read_url(inbox["theirs"]))
    assert response.status_code == 404
    inbox["theirs"].refresh_from_db()
    assert inbox["theirs"].read_at is None


def test_mark_read_needs_post(client_for, town_officer, inbox):
    assert client_for(town_officer).get(read_url(inbox["new"])).status_code == 405
    assert client_for(town_officer).get(READ_ALL_URL).status_code == 405
    inbox["new"].refresh_from_db()
    assert inbox["new"].read_at is None


def test_mark_all_read_touches_only_own(client_for, town_officer, inbox):
    extra = make(town_officer, "另一条未读")
    response = client_for(town_officer).post(READ_ALL_URL, follow=True)
    assert "已将 2 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(user=town_officer, read_at__isnull=True).exists()
    extra.refresh_from_db()
    assert extra.read_at is not None
    inbox["theirs"].refresh_from_db()
    assert inbox["theirs"].read_at is None
    assert response.context["unread_notifications"] == 0


def test_every_signed_in_role_has_the_page(
    client_for, bureau_admin, reviewer, leader, enterprise_user, no_role_user
):
    for user in (bureau_admin, reviewer, leader, enterprise_user, no_role_user):
        response = client_for(user).get(LIST_URL)
        assert response.status_code == 200
        assert "暂无通知" in response.content.decode()


@pytest.mark.parametrize("method,url", [("get", LIST_URL), ("post", READ_ALL_URL)])
def test_anonymous_goes_to_login(client_for, db, method, url):
    response = getattr(client_for(None), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_cannot_mark_read(client_for, inbox):
    response = client_for(None).post(read_url(inbox["new"]))
    assert response.status_code == 302
    inbox["new"].refresh_from_db()
    assert inbox["new"].read_at is None


def test_list_pages(client_for, town_officer):
    for i in range(35):
        make(town_officer, f"通知{i}")
    client = client_for(town_officer)
    assert len(client.get(LIST_URL).context["page"].object_list) == 30
    assert len(client.get(LIST_URL, {"page": 2}).context["page"].object_list) == 5
