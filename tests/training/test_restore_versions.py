"""A backup restored under a running site (``cqo_registry.backups.restore``): every cached list
must count the restored rows on its next page. The restore replaces rows without Django's
signals and then renews the database's data versions (``data_version.renew_all``), which also
moves the training lists' version (``training.signals``, kept in the cache)."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from cqo_registry import data_version
from tests.factories import TrainingAttendanceFactory, TrainingSessionFactory

pytestmark = pytest.mark.django_db


def enrolled(html: str, pk: int) -> str:
    row = re.search(rf'<tr data-session="{pk}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="text-end text-nowrap">([^<]*)</td>', row)[0]


def test_the_session_list_counts_the_restored_rows(client_for, reviewer):
    session = TrainingSessionFactory(capacity=None)
    TrainingAttendanceFactory(session=session)
    client = client_for(reviewer)
    url = reverse("training:session_list")
    assert enrolled(client.get(url).content.decode(), session.pk) == "1"
    # What pg_restore does to the live database: the rows are replaced, no signal is sent;
    # then the restore renews the data versions, as backups.restore does.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM training_trainingattendance WHERE session_id = %s", [session.pk]
        )
    data_version.renew_all("default")
    assert enrolled(client.get(url).content.decode(), session.pk) == "0"
