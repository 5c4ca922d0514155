"""``make backup`` / ``make restore``: the database (pg_dump custom format) and the private files
in one archive, restored into a fresh database and checked against the archive's manifest.

PostgreSQL only (pg_dump). The commands run as an operator runs them — ``manage.py`` in a
process of its own with the local settings, pointed at a database by DATABASE_URL — against
the committed data of this transactional test and a fresh database made for the restore.
"""

import json
import os
import subprocess
import sys
import tarfile
import uuid

import psycopg2
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from appointments.models import Appointment
from tests.conftest import ensure_notice_targets
from tests.factories import PDF_BYTES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def server():
    db = connection.settings_dict
    return psycopg2.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"],
        dbname="postgres",
    )  # fmt: skip


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    admin = server()
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def manage(*args, database: str, private, check=True) -> subprocess.CompletedProcess:
    env = {
        **{key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ},
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "DATABASE_URL": database_url(database),
        "PRIVATE_MEDIA_ROOT": str(private),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def counts(database: str) -> dict[str, int]:
    db = connection.settings_dict
    with psycopg2.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"],
        dbname=database,
    ) as conn, conn.cursor() as cursor:  # fmt: skip
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        found = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            found[table] = cursor.fetchone()[0]
    conn.close()
    return found


def data_versions(database: str) -> list[int]:
    """Every counter of ``cqo_registry.data_version``'s table in ``database``."""
    db = connection.settings_dict
    with psycopg2.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"],
        dbname=database,
    ) as conn, conn.cursor() as cursor:  # fmt: skip
        cursor.execute("SELECT counter FROM cqo_data_version")
        found = [row[0] for row in cursor.fetchall()]
    conn.close()
    assert found, "the data version's counters are missing"
    return found


@pytest.fixture
def private(settings, tmp_path):
    """This process's private storage, where the letter is uploaded."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def test_backup_then_restore_into_a_fresh_database_gives_the_same_data(
    county, private, tmp_path, fresh_database
):
    ensure_notice_targets()  # an earlier transactional test's flush removed them
    appointment = Appointment.objects.get(pk=county.home_appointment.pk)
    appointment.letter.save("聘任书.pdf", ContentFile(PDF_BYTES))
    letter = appointment.letter.name
    source = connection.settings_dict["NAME"]
    output = tmp_path / "backups"

    made = manage("backup", "--output-dir", str(output), database=source, private=private)

    [archive] = output.glob("cqo-backup-*.tar")
    assert str(archive) in made.stdout
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        dump = tar.extractfile("database.dump").read()
    assert dump.startswith(b"PGDMP")  # pg_dump's custom format
    assert f"private/{letter}" in names
    assert manifest["files"][letter]["size"] == len(PDF_BYTES)
    assert manifest["tables"]["appointments_appointment"] == 3

    restored_private = tmp_path / "restored-private"
    restored = manage("restore", str(archive), database=fresh_database, private=restored_private)

    assert "均与备份一致" in restored.stdout
    assert counts(fresh_database) == counts(source)
    # The data versions are renewed: a cache kept across the restore cannot match them.
    assert not set(data_versions(fresh_database)) & set(data_versions(source))
    assert (restored_private / letter).read_bytes() == PDF_BYTES
    # The same figures from the restored database as from the original.
    stats = [
        manage("target_stats", "--as-of", "2026-01-01", "--format", "json", database=name,
               private=private).stdout
        for name in (source, fresh_database)
    ]  # fmt: skip
    assert stats[0] == stats[1]
    assert json.loads(stats[0])["targets"][0]["population"] == 3


def test_restore_refuses_a_database_that_has_data_unless_forced(
    county, private, tmp_path, fresh_database
):
    source = connection.settings_dict["NAME"]
    manage("backup", "--output-dir", str(tmp_path), database=source, private=private)
    [archive] = tmp_path.glob("cqo-backup-*.tar")
    manage("restore", str(archive), database=fresh_database, private=tmp_path / "r")

    again = manage("restore", str(archive), database=fresh_database, private=tmp_path / "r",
                   check=False)  # fmt: skip

    assert again.returncode != 0
    assert "不是空的" in again.stderr
    forced = manage("restore", str(archive), "--force", database=fresh_database,
                    private=tmp_path / "r")  # fmt: skip
    assert "均与备份一致" in forced.stdout
    assert counts(fresh_database) == counts(source)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, fresh_database):
    bogus = tmp_path / "cqo-backup-bogus.tar"
    with tarfile.open(bogus, "w") as tar:
        tar.add(__file__, arcname="something.py")

    result = manage("restore", str(bogus), database=fresh_database, private=tmp_path,
                    check=False)  # fmt: skip

    assert result.returncode != 0
    assert "不是本系统的备份文件" in result.stderr


def test_backup_needs_postgresql(tmp_path):
    env = {
        **{key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ},
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "backup", "--output-dir", str(tmp_path)],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode != 0
    assert "需要 PostgreSQL" in result.stderr
