"""Data versions that the database itself moves (issue 15: cached vacancy lists).

A cached figure is valid while the rows it was computed from have not changed. Django's
signals cannot tell: ``QuerySet.update``, imports by COPY, raw SQL, ``rotate_data_keys``, the
demo seed and the admin's bulk actions all write without them. So the database keeps the
version, in a plain table that no model owns (``flush`` and ``TRUNCATE`` of the models'
tables leave it alone):

    cqo_data_version (name, slot, counter)

and triggers on every table a named version watches (:data:`WATCHED`) set one of that name's
counters to a value never used before, in the writing transaction:

* **PostgreSQL**: statement-level triggers (``FOR EACH STATEMENT``, also on ``TRUNCATE``), so a
  20,000-row COPY import pays one counter update, not 20,000. The value is the next of a
  sequence, written to one of ``SLOTS`` counter rows, so that concurrent writers do not queue
  on one row lock: the transaction's own slot (its id modulo ``SLOTS``) when no other
  transaction holds it, else any slot nobody holds (``FOR UPDATE SKIP LOCKED``). So a writer
  never waits for a counter while one is free, and the counters add no deadlock between two
  transactions that write rows in opposite orders (a writer waiting for a counter that the
  other holds while the other waits for its row); only with every slot held does it wait.
* **SQLite** (development, tests) has no statement triggers: row-level ones, one counter row,
  the value a 63-bit ``random()``.

The version (:func:`current_version`) is every counter of the name, read in one query. Why a
value never used before rather than ``counter + 1``: a rolled-back transaction (or a test
rolled back after it) returns the counters to where they were, and ``+ 1`` would hand the next
writer the version the rolled-back one had — with other data. A sequence is not rolled back,
so the version a rolled-back writer saw never comes back. The counters and the sequence start
at random values when the table is made, so that two databases (a restored copy, tests and a
staging site) are unlikely to share a version and a cache.

Why the version cannot go stale: the counter is written in the same transaction as the rows,
so a reader sees both or neither. A reader reads the version *before* the data it caches; a
write committed in between makes the cached data newer than its version, never older, and
every later reader reads the new version.

The triggers are made by the migration (``appointments/0013_data_version``) and again, if
missing, after every ``migrate`` (:func:`install`, connected in ``AppointmentsConfig``):
SQLite drops a table's triggers when a migration rebuilds the table.
"""

import secrets
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.db import connections
from django.dispatch import Signal

TABLE = "cqo_data_version"
SEQUENCE = "cqo_data_version_seq"
FUNCTION = "cqo_data_version_bump"
# Counter rows per name on PostgreSQL (one on SQLite).
SLOTS = 16

VACANCIES = "vacancies"
ACCOUNTS = "accounts"
FIGURES = "figures"
# name -> the tables whose writes change what is cached under it. The vacancy lists
# (``enterprises.vacancies.cached_vacancy_keys``) read enterprises (active dates, whether
# they require a CQO, name and code searched, town), appointments (filed, current, ended),
# posts (another post's conditions and start, issue 19) and towns (the town filter). The
# enterprise registry's count of a list filtered on enterprise columns only
# (``reports.enterprise_registry.cached_count``) is kept under the same version, because it
# watches the enterprises: a name that stops watching them must move that count to its own.
WATCHED: dict[str, tuple[str, ...]] = {
    VACANCIES: (
        "enterprises_town",
        "enterprises_enterprise",
        "appointments_appointment",
        "appointments_posttype",
    ),
    # The signed-in user and second-factor device kept per process
    # (``cqo_registry.accounts.signed_in``): the users' rows and the devices' rows.
    ACCOUNTS: (
        "accounts_user",
        "otp_totp_totpdevice",
        "otp_static_staticdevice",
    ),
    # What the dashboards and drill-downs read before their figures, kept per process
    # (:class:`KeptPerVersion` in ``reports.views``): the targets and their posts, the
    # snapshot runs with their stored figures and indicators, and the towns (names, order).
    FIGURES: (
        "reports_target",
        "appointments_posttype",
        "reports_snapshotrun",
        "reports_snapshotfigure",
        "reports_snapshotindicator",
        "enterprises_town",
    ),
}


def _trigger_name(name: str, table: str, event: str = "") -> str:
    suffix = f"_{event.lower()}" if event else ""
    return f"cqo_dv_{name}_{table}{suffix}"


def _trigger_names(connection) -> set[str]:
    """The names of the data-version triggers that exist (one query). Asked first so that
    the ``post_migrate`` check, which also runs after every test's ``flush``, takes no table
    lock when nothing is missing."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'cqo_dv_%'")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'cqo_dv_%'"
            )
        return {row[0] for row in cursor.fetchall()}


def _random_counter() -> int:
    # Below 2**62: room for the sequence to count up from it within a bigint.
    return secrets.randbelow(2**62)


def _table_exists(connection, table: str) -> bool:
    with connection.cursor() as cursor:
        return table in connection.introspection.table_names(cursor)


def create_table(connection) -> None:
    """Create the counters' table (and, on PostgreSQL, their sequence and the trigger
    function), unless they exist. ``connection``: a Django connection. Raises what the
    database raises on another vendor than PostgreSQL or SQLite (``NotImplementedError``)."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # fillfactor: room on each page for the next version of its rows, so that the
            # frequent counter updates stay HOT (no index update, pruned in place).
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (name varchar(40) NOT NULL, "
                "slot integer NOT NULL, counter bigint NOT NULL, PRIMARY KEY (name, slot)) "
                "WITH (fillfactor = 50)"
            )
            cursor.execute(
                f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH {_random_counter()}"
            )
            # The transaction's own slot first (a row it already holds is never skipped),
            # else any slot no other transaction holds; only when all are held does it wait
            # for its own. See the module's docstring: no deadlock through the counters.
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ DECLARE chosen integer; BEGIN "
                f"SELECT slot INTO chosen FROM {TABLE} WHERE name = TG_ARGV[0] "
                f"ORDER BY (slot - txid_current() % {SLOTS} + {SLOTS}) % {SLOTS} "
                "LIMIT 1 FOR UPDATE SKIP LOCKED; "
                f"IF chosen IS NULL THEN chosen := txid_current() % {SLOTS}; END IF; "
                f"UPDATE {TABLE} SET counter = nextval('{SEQUENCE}') "
                "WHERE name = TG_ARGV[0] AND slot = chosen; "
                "RETURN NULL; END $$"
            )
        elif vendor == "sqlite":
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (name varchar(40) NOT NULL, "
                "slot integer NOT NULL, counter integer NOT NULL, PRIMARY KEY (name, slot))"
            )
        else:
            raise NotImplementedError(f"data versions on {vendor}")


def install(connection, name: str, tables: tuple[str, ...] | None = None) -> None:
    """Make the counter rows of ``name`` and the triggers on each of ``tables`` (default:
    ``WATCHED[name]``) that move them, where missing — idempotent, one statement per trigger.
    Tables that do not exist (yet) are skipped. Requires :func:`create_table` first."""
    tables = WATCHED[name] if tables is None else tables
    vendor = connection.vendor
    slots = range(SLOTS if vendor == "postgresql" else 1)
    existing = set(connection.introspection.table_names())
    triggers = _trigger_names(connection)
    with connection.cursor() as cursor:
        for slot in slots:
            if vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {TABLE} (name, slot, counter) VALUES (%s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    [name, slot, _random_counter()],
                )
            else:
                cursor.execute(
                    f"INSERT OR IGNORE INTO {TABLE} (name, slot, counter) VALUES (%s, %s, %s)",
                    [name, slot, _random_counter()],
                )
        for table in tables:
            if table not in existing:
                continue
            if vendor == "postgresql":
                if _trigger_name(name, table) in triggers:
                    continue
                cursor.execute(
                    f"CREATE TRIGGER {_trigger_name(name, table)} "
                    f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{name}')"
                )
            else:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    if _trigger_name(name, table, event) in triggers:
                        continue
                    cursor.execute(
                        f"CREATE TRIGGER {_trigger_name(name, table, event)} "
                        f"AFTER {event} ON {table} FOR EACH ROW BEGIN "
                        f"UPDATE {TABLE} SET counter = random() WHERE name = '{name}'; END"
                    )


def uninstall(connection, name: str, tables: tuple[str, ...] | None = None) -> None:
    """Drop the triggers of ``name`` on ``tables`` (default: ``WATCHED[name]``) and its
    counter rows — the reverse of :func:`install`."""
    tables = WATCHED[name] if tables is None else tables
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in tables:
            if table not in existing:
                continue
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(name, table)} ON {table}")
            else:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(name, table, event)}")
        if TABLE in existing:
            cursor.execute(f"DELETE FROM {TABLE} WHERE name = %s", [name])


def drop_table(connection) -> None:
    """Drop the counters' table, sequence and trigger function (after :func:`uninstall` of
    every name) — the reverse of :func:`create_table`."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
            cursor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


def reinstall_after_migrate(using: str = "default", **kwargs) -> None:
    """``post_migrate`` receiver: put back any trigger of a :data:`WATCHED` name that is
    missing — SQLite drops a table's triggers when a migration rebuilds the table (an altered
    column), and a table watched later than the migration that made the counters gets its
    trigger here. Does nothing before that migration has run."""
    connection = connections[using]
    if not _table_exists(connection, TABLE):
        return
    for name in WATCHED:
        install(connection, name)


# Sent by :func:`renew_all` (``using``: the database alias), for versions kept elsewhere than
# in the database — the training lists' version (``training.signals``) is in the cache.
renewed = Signal()


def renew_all(using: str = "default") -> None:
    """Give every counter of every name a value never used before, and move the sequence to a
    new random start: called after a backup is restored (``cqo_registry.backups``), whose
    counters and sequence are those of the day of the backup — the live database may have
    handed out the same values since, with other data, and a cache kept across the restore
    would serve them. Does nothing before the migration that made the counters has run."""
    connection = connections[using]
    if not _table_exists(connection, TABLE):
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(%s, %s)", [SEQUENCE, _random_counter()])
            cursor.execute(f"UPDATE {TABLE} SET counter = nextval('{SEQUENCE}')")
        else:
            cursor.execute(f"UPDATE {TABLE} SET counter = random()")
    renewed.send(sender=None, using=using)


def current_version(name: str, using: str = "default") -> str:
    """The data version ``name`` of database ``using``: its counters, in slot order, joined
    with ``.`` (a string; one query). It changes with every committed write to the tables
    ``name`` watches, and is never again one it had before with other data. Raises the
    database's error when the table is missing (the migration has not run)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT counter FROM {TABLE} WHERE name = %s ORDER BY slot", [name])
        return ".".join(str(counter) for (counter,) in cursor.fetchall())


_ALL_KEPT: "weakref.WeakSet[KeptPerVersion]" = weakref.WeakSet()


def forget_kept() -> None:
    """Forget every value kept by every :class:`KeptPerVersion` of this process (tests that
    count what a page does when nothing is kept)."""
    for kept in list(_ALL_KEPT):
        kept.clear()


class KeptPerVersion:
    """Values computed from the tables a data version watches, kept by this process while
    that version stands: ``get(version, key, compute)`` returns the value kept for ``key``
    if it was computed at ``version``, else ``compute()`` (kept for next time). At most
    ``size`` keys, least recently used out.

    The caller reads the version (:func:`current_version`, from the database the values are
    read from) *before* computing, so that a value is never older than its version; and only
    in a request that writes nothing to the watched tables — a value read inside a
    transaction that then rolls back would be kept under a version that still stands. The
    values are shared by every request of the process: they must not be changed. A blank
    version (the name's counters not installed) keeps nothing."""

    def __init__(self, size: int = 256):
        self._values: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        _ALL_KEPT.add(self)

    def get(self, version: str, key: Hashable, compute: Callable[[], object]):
        if not version:
            return compute()
        with self._lock:
            kept = self._values.get(key)
            if kept is not None and kept[0] == version:
                self._values.move_to_end(key)
                return kept[1]
        value = compute()
        with self._lock:
            self._values[key] = (version, value)
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
