"""ID numbers and mobiles encrypted at rest (issue 14 §2): nothing in plain text in any table,
history included; exact lookups through the keyed hash; key rotation; a restored backup read
back with the key."""

import os
import subprocess
import sys
import tarfile

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from cqo_registry.encryption import decrypt, derived_key, digest
from enterprises.models import Person
from tests.factories import PersonFactory

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
HMAC_KEY = "a-lookup-hash-key-for-this-test"


def every_text_in_the_database(tables=None) -> str:
    parts = []
    with connection.cursor() as cursor:
        for table in tables or connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def tables_holding(secret: str) -> list[str]:
    return [
        table
        for table in connection.introspection.table_names()
        if secret in every_text_in_the_database([table])
    ]


@pytest.mark.django_db
def test_no_id_number_or_mobile_in_plain_text_anywhere(county):
    for person in Person.objects.all():
        person.mobile = f"139{person.pk:08d}"
        person.save()  # a second history row
    persons = list(Person.objects.all())
    assert len(persons) == 3
    text = every_text_in_the_database()
    assert "enterprises_historicalperson" in connection.introspection.table_names()
    for person in persons:
        assert len(person.id_number) == 18
        assert person.id_number not in text
        assert person.id_number.lower() not in text
        assert person.mobile not in text
    history = Person.history.model.objects.filter(id=persons[0].pk).order_by("history_id")
    assert [h.mobile for h in history][-1] == persons[0].mobile  # history reads back too


@pytest.mark.django_db
def test_after_seeding_the_demo_no_table_holds_one_in_plain_text():
    from appointments.models import Filing
    from cqo_registry.accounts.models import User
    from enterprises.models import EnterpriseRegistration

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    secrets = set()
    for person in Person.objects.all():
        secrets |= {person.id_number, person.mobile}
    secrets |= set(User.objects.values_list("mobile", flat=True))
    secrets |= set(EnterpriseRegistration.objects.values_list("mobile", flat=True))
    for declared in Filing.objects.values_list("declared_person", flat=True):
        secrets.add((declared or {}).get("mobile", ""))
    secrets.discard("")
    assert len(secrets) > 200
    text = every_text_in_the_database()
    found = sorted(secret for secret in secrets if secret in text)
    assert {s: tables_holding(s) for s in found[:5]} == {}


@pytest.mark.django_db
def test_exact_lookups_go_through_the_hash(county):
    person = county.home_appointment.person
    assert Person.objects.get(id_number=person.id_number) == person
    assert Person.objects.get(id_number__iexact=person.id_number.lower()) == person
    assert list(Person.objects.filter(id_number__in=[person.id_number])) == [person]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, id_number_digest FROM enterprises_person WHERE id = %s",
            [person.pk],
        )
        token, stored_digest = cursor.fetchone()
    assert decrypt(token) == person.id_number and stored_digest == digest(person.id_number)
    with pytest.raises(FieldError):
        list(Person.objects.filter(id_number__startswith=person.id_number[:6]))


@pytest.mark.django_db
def test_admin_search_by_full_number_as_typed_finds_the_person(client_for, bureau_admin, county):
    person = county.home_appointment.person
    typed = f"{person.id_number[:6]} {person.id_number[6:14]} {person.id_number[14:].lower()}"
    response = client_for(bureau_admin).get(
        reverse("admin:enterprises_person_changelist"), {"q": typed}
    )
    assert list(response.context["cl"].result_list) == [person]


@pytest.mark.django_db
def test_a_duplicate_number_is_refused_on_the_id_number(county):
    from django.core.exceptions import ValidationError

    existing = county.home_appointment.person
    with pytest.raises(ValidationError) as error:
        Person(name="重复", id_number=existing.id_number).full_clean()
    assert "id_number" in error.value.message_dict


@pytest.mark.django_db
def test_rotation_re_encrypts_every_row_with_the_new_key(settings, county):
    settings.CQO_DATA_KEYS = [KEY_A, derived_key()]
    call_command("rotate_data_keys")
    numbers = {p.pk: p.id_number for p in Person.objects.all()}
    settings.CQO_DATA_KEYS = [KEY_B, KEY_A]
    call_command("rotate_data_keys")
    settings.CQO_DATA_KEYS = [KEY_B]  # the old key is gone: everything still reads
    assert {p.pk: p.id_number for p in Person.objects.all()} == numbers
    history = Person.history.model.objects.all()
    assert {h.id_number for h in history} == set(numbers.values())
    some = next(iter(numbers.values()))
    assert Person.objects.filter(id_number=some).exists()


def test_a_token_read_once_is_refused_when_its_key_is_removed(settings):
    """Decrypted tokens are kept per process (issue 15 §1), under the keys in use: removing
    a key from CQO_DATA_KEYS makes its tokens unreadable at once, kept or not."""
    from cryptography.fernet import InvalidToken

    from cqo_registry.encryption import encrypt

    settings.CQO_DATA_KEYS = [KEY_A]
    token = encrypt("340104199003071234")
    assert decrypt(token) == decrypt(token) == "340104199003071234"
    settings.CQO_DATA_KEYS = [KEY_B, KEY_A]  # a new key first: the old token still reads
    assert decrypt(token) == "340104199003071234"
    settings.CQO_DATA_KEYS = [KEY_B]
    with pytest.raises(InvalidToken):
        decrypt(token)
    settings.CQO_DATA_KEYS = [KEY_A]
    other = encrypt("340104199003071234")
    assert other != token and decrypt(other) == "340104199003071234"


def test_a_long_token_is_read_but_not_kept(settings):
    """Only short tokens (ID numbers, mobiles, a declared person) are kept: the keep is
    bounded in bytes as well as in count."""
    from cqo_registry import encryption

    settings.CQO_DATA_KEYS = [KEY_A]
    encryption._decrypted.cache_clear()  # an earlier test may have filled it
    token = encryption.encrypt("长" * 2000)
    assert len(token) > encryption.KEPT_TOKEN_LENGTH
    before = encryption._decrypted.cache_info().currsize
    assert decrypt(token) == "长" * 2000
    assert encryption._decrypted.cache_info().currsize == before
    short = encryption.encrypt("340104199003071234")
    assert decrypt(short) == "340104199003071234"
    assert encryption._decrypted.cache_info().currsize == before + 1


# --- A backup restored and read with the key (PostgreSQL: pg_dump) -----------------------------

from tests.infra.test_backups import database_url, fresh_database, private  # noqa: E402, F401


def manage(*args, database: str, media, keys: str) -> subprocess.CompletedProcess:
    env = {
        **{key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ},
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.local",
        "DATABASE_URL": database_url(database),
        "PRIVATE_MEDIA_ROOT": str(media),
        "CQO_DATA_KEYS": keys,
        "CQO_DATA_HMAC_KEY": HMAC_KEY,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_reads_back_with_the_key(settings, private, tmp_path, fresh_database):  # noqa: F811
    settings.CQO_DATA_KEYS, settings.CQO_DATA_HMAC_KEY = [KEY_A], HMAC_KEY
    person = PersonFactory(mobile="13912345678")
    source = connection.settings_dict["NAME"]
    output = tmp_path / "backups"
    made = manage("backup", "--output-dir", str(output), database=source, media=private, keys=KEY_A)
    assert made.returncode == 0, made.stderr
    [archive] = output.glob("cqo-backup-*.tar")
    with tarfile.open(archive) as tar:
        dump = tar.extractfile("database.dump").read()
    assert person.id_number.encode() not in dump and b"13912345678" not in dump
    restored = manage(
        "restore", str(archive), database=fresh_database, media=tmp_path / "r", keys=KEY_A
    )
    assert restored.returncode == 0, restored.stderr
    read = (
        "from enterprises.models import Person; "
        f"p = Person.objects.get(id_number='{person.id_number}'); print(p.name, p.mobile)"
    )
    with_key = manage("shell", "-c", read, database=fresh_database, media=private, keys=KEY_A)
    assert with_key.stdout.splitlines()[-1].split() == [person.name, "13912345678"], with_key.stderr
    without = manage("shell", "-c", read, database=fresh_database, media=private, keys=KEY_B)
    assert without.returncode != 0 and "InvalidToken" in without.stderr


# --- The migration encrypts rows that were stored in plain text ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows():
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before = [("enterprises", "0010_unique_messages")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    number, mobile = "11010519491231002X", "13955501234"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO enterprises_person (name, id_number, mobile, email, education, title,"
            " qualifications, years_in_quality, created_at) VALUES"
            " (%s, %s, %s, '', '', '', '', NULL, %s)",
            ["旧数据", number, mobile, timezone.now()],
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    person = Person.objects.get(id_number=number)
    assert (person.name, person.mobile) == ("旧数据", mobile)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM enterprises_person")
        stored = cursor.fetchall()
    assert number not in repr(stored) and mobile not in repr(stored)


def test_production_refuses_to_start_without_the_data_keys():
    env = {
        "DJANGO_SETTINGS_MODULE": "cqo_registry.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "SITE_URL": "https://localhost",
        "DATABASE_URL": "sqlite:///unused.sqlite3",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6399/0",  # not contacted
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "CQO_DATA_KEYS" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_encrypt_tables_encrypts_forwards_and_decrypts_backwards():
    """The operation the encryption data migrations share (``encrypt_tables``): every listed
    column of every row, NULL and '' left as they are; other columns untouched."""
    from cqo_registry.encryption import encrypt_tables

    operation = encrypt_tables([("scratch_contacts", "id", ["mobile", "notes"])])
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE scratch_contacts (id integer PRIMARY KEY, mobile varchar(200) NULL,"
            " notes text NULL, name varchar(20) NOT NULL)"
        )
    rows = [(1, "13955501234", '{"a": 1}', "甲"), (2, "", None, "乙"), (3, None, "x", "丙")]
    try:
        with connection.cursor() as cursor:
            cursor.executemany("INSERT INTO scratch_contacts VALUES (%s, %s, %s, %s)", rows)
        with connection.schema_editor() as editor:
            operation.code(None, editor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, mobile, notes, name FROM scratch_contacts ORDER BY id")
            stored = cursor.fetchall()
        assert "13955501234" not in repr(stored) and '"a": 1' not in repr(stored)
        assert [(pk, name) for pk, _m, _n, name in stored] == [(1, "甲"), (2, "乙"), (3, "丙")]
        assert (stored[1][1], stored[1][2], stored[2][1]) == ("", None, None)
        assert (decrypt(stored[0][1]), decrypt(stored[0][2]), decrypt(stored[2][2])) == (
            "13955501234",
            '{"a": 1}',
            "x",
        )
        with connection.schema_editor() as editor:
            operation.reverse_code(None, editor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, mobile, notes, name FROM scratch_contacts ORDER BY id")
            assert cursor.fetchall() == rows
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE scratch_contacts")


@pytest.mark.django_db(transaction=True)
def test_the_registration_mobile_migration_encrypts_and_decrypts_in_place():
    """enterprises 0012 (one of the migrations built on ``encrypt_tables``): a mobile stored
    in plain text before it is encrypted after it, read back through the field, and plain
    again when the migration is reversed."""
    from django.db.migrations.executor import MigrationExecutor

    from enterprises.models import EnterpriseRegistration

    before = [("enterprises", "0011_encrypt_personal_data")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    # The models as the tables now are (every app's applied migrations, not only these).
    old = MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps
    user = old.get_model("accounts", "User").objects.create(username="applicant", password="!")
    town = old.get_model("enterprises", "Town").objects.create(name="城关镇", code="341522100000")
    old.get_model("enterprises", "EnterpriseRegistration").objects.create(
        uscc="91341522MA2XXXXX0X",
        name="旧申请有限公司",
        contact_name="张三",
        mobile="13955501234",
        town=town,
        user=user,
    )

    def stored() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT mobile FROM enterprises_enterpriseregistration")
            return cursor.fetchone()[0]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert stored() != "13955501234" and decrypt(stored()) == "13955501234"
    assert EnterpriseRegistration.objects.get().mobile == "13955501234"
    executor = MigrationExecutor(connection)
    executor.migrate([("enterprises", "0012_encrypt_contact_data")])
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert stored() == "13955501234"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
