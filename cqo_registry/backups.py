"""Backups: the PostgreSQL database and the private files, together in one archive, and the
restore of such an archive with a check that everything came back.

An archive is a plain tar file (``cqo-backup-YYYYMMDD-HHMMSS.tar``) holding:

* ``manifest.json`` — when and from what it was made, the row count of every table and the
  size and SHA-256 of every private file;
* ``database.dump`` — ``pg_dump`` in its custom format (compressed; ``pg_restore`` reads it);
* ``private/<name>`` — every file of the private storage (appointment letters, documents),
  read through Django's storage API, so the same code backs up a folder or an S3 bucket.

The database is dumped first and the files copied after it: a letter uploaded during the
backup is at worst an extra file, never a row whose file is missing. ``pg_dump`` and
``pg_restore`` come from PATH; their version must be at least the server's.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from cqo_registry import data_version

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "private/"


class BackupError(Exception):
    """A backup or restore that cannot be made, with a message for the operator."""


@dataclass
class RestoreReport:
    tables: int = 0
    files: int = 0
    mismatches: list[str] = field(default_factory=list)


def backup_create(*, output_dir: Path, alias: str = "default") -> tuple[Path, dict]:
    """Write an archive of database ``alias`` and the private storage into ``output_dir``;
    return its path and its manifest. Raises ``BackupError`` (not PostgreSQL, pg_dump
    failed)."""
    connection = _postgres(alias)
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    archive = output_dir / f"cqo-backup-{stamp}.tar"
    storage = storages["default"]
    with tempfile.TemporaryDirectory(prefix="cqo-backup-") as work:
        dump = Path(work) / DUMP
        _run(
            ["pg_dump", "--format=custom", f"--file={dump}", *_connection_args(connection)],
            connection,
        )
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": connection.vendor, "name": connection.settings_dict["NAME"]},
            "migrations": _latest_migrations(alias),
            "tables": table_counts(alias),
            "files": {},
        }
        partial = archive.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(dump, arcname=DUMP)
            for name in private_files(storage):
                with storage.open(name, "rb") as handle:
                    content = handle.read()
                manifest["files"][name] = {
                    "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
                _add_bytes(tar, FILES + name, content)
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
        partial.rename(archive)  # never a half-written archive under the final name
    return archive, manifest


def backup_restore(*, archive: Path, alias: str = "default", force: bool = False) -> RestoreReport:
    """Restore ``archive`` into database ``alias`` and the private storage, then compare the
    table row counts and the files' checksums with the manifest (``RestoreReport``).

    The database must be empty (no tables) unless ``force``, which drops and recreates the
    archive's objects over what is there. Files of the archive replace files of the same name;
    other files in the storage are left alone."""
    connection = _postgres(alias)
    if not archive.is_file():
        raise BackupError(_("找不到备份文件：%(path)s") % {"path": archive})
    storage = storages["default"]
    with tempfile.TemporaryDirectory(prefix="cqo-restore-") as work, tarfile.open(archive) as tar:
        manifest = _read_manifest(tar)
        existing = connection.introspection.table_names()
        connection.close()
        if existing and not force:
            raise BackupError(
                _(
                    "目标数据库 %(name)s 不是空的（已有 %(count)s 张表）。请恢复到新建的空数据库，"
                    "或确认覆盖后加 --force。"
                )
                % {"name": connection.settings_dict["NAME"], "count": len(existing)}
            )
        dump = Path(work) / DUMP
        with tar.extractfile(DUMP) as source, open(dump, "wb") as target:
            shutil.copyfileobj(source, target)
        options = ["--clean", "--if-exists"] if existing else ["--single-transaction"]
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                *options,
                *_connection_args(connection),
                str(dump),
            ],
            connection,
        )
        connection.close()
        for name in manifest["files"]:
            with tar.extractfile(FILES + name) as source:
                content = source.read()
            if storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, File(io.BytesIO(content), name=os.path.basename(name)))
            if saved != name:
                raise BackupError(
                    _("私有文件 %(name)s 被存为 %(saved)s。") % {"name": name, "saved": saved}
                )
    # The restored counters are the backup's: values the live database may have used since.
    data_version.renew_all(alias)
    return verify_restore(manifest, alias=alias, storage=storage)


def verify_restore(manifest: dict, *, alias: str, storage: Storage) -> RestoreReport:
    """Compare the database and the storage with a manifest: every table's row count, every
    file's size and checksum."""
    report = RestoreReport()
    counts = table_counts(alias)
    for table, expected in manifest["tables"].items():
        report.tables += 1
        if counts.get(table) != expected:
            report.mismatches.append(f"{table}: {counts.get(table)} rows, {expected} backed up")
    for name, expected in manifest["files"].items():
        report.files += 1
        if not storage.exists(name):
            report.mismatches.append(f"{name}: missing")
            continue
        with storage.open(name, "rb") as handle:
            content = handle.read()
        if hashlib.sha256(content).hexdigest() != expected["sha256"]:
            report.mismatches.append(f"{name}: content differs")
    return report


def table_counts(alias: str = "default") -> dict[str, int]:
    """Rows of every table of the database, by table name."""
    connection = connections[alias]
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def private_files(storage: Storage, folder: str = "") -> list[str]:
    """Names of every file in ``storage``, walking its folders ("" is the root)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a filesystem storage whose folder was never created
        return []
    names = [f"{folder}{name}" for name in files]
    for sub in folders:
        names += private_files(storage, f"{folder}{sub}/")
    return sorted(names)


def _postgres(alias: str):
    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise BackupError(
            _("备份与恢复需要 PostgreSQL 数据库（DATABASE_URL=postgres://…），当前是 %(vendor)s。")
            % {"vendor": connection.vendor}
        )
    return connection


def _connection_args(connection) -> list[str]:
    settings = connection.settings_dict
    args = [f"--dbname={settings['NAME']}"]
    if settings.get("HOST"):
        args.append(f"--host={settings['HOST']}")
    if settings.get("PORT"):
        args.append(f"--port={settings['PORT']}")
    if settings.get("USER"):
        args.append(f"--username={settings['USER']}")
    return args


def _run(command: list[str], connection) -> None:
    env = {**os.environ}
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    if shutil.which(command[0]) is None:
        raise BackupError(
            _("找不到 %(program)s：请安装 PostgreSQL 客户端（postgresql-client）。")
            % {"program": command[0]}
        )
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(
            _("%(program)s 失败：%(error)s")
            % {"program": command[0], "error": result.stderr.strip()[-2000:]}
        )


def _latest_migrations(alias: str) -> dict[str, str]:
    latest: dict[str, str] = {}
    recorder = MigrationRecorder(connections[alias])
    for app, name in recorder.applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except (KeyError, ValueError) as error:
        raise BackupError(_("这不是本系统的备份文件（缺少清单）。")) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("备份文件格式 %(format)s 不受支持。") % {"format": manifest.get("format")}
        )
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(content))
