"""Backup and restore: the database (pg_dump, or SQLite's backup API) and a copy of
every stored file with its sha256, and the way back into a fresh database and a
fresh bucket or folder, after which the search index is rebuilt and every file's
fixity checked against the backup's own checksums.

A backup folder holds `database.dump` (PostgreSQL, custom format) or
`database.sqlite3`, `files/<storage key>` and `files.jsonl` (key, size, sha256 per
line). The search index is not backed up: it is rebuilt from the database.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection

READ_BYTES = 1024 * 1024
MANIFEST = "files.jsonl"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message names what and why."""


# --- the database ----------------------------------------------------------------------


def libpq_environment() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "PGHOST": str(db.get("HOST") or ""),
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": str(db.get("USER") or ""),
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
        "PGDATABASE": str(db["NAME"]),
    }


def run(command: list[str]) -> None:
    # Fixed programs (pg_dump, pg_restore); the arguments come from our settings.
    done = subprocess.run(
        command, env=libpq_environment(), capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def dump_database(folder: Path) -> str:
    if connection.vendor == "postgresql":
        target = folder / "database.dump"
        run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)])
        return target.name
    if connection.vendor == "sqlite":
        target = folder / "database.sqlite3"
        with (
            sqlite3.connect(settings.DATABASES["default"]["NAME"]) as source,
            sqlite3.connect(target) as copy,
        ):
            source.backup(copy)
        return target.name
    raise BackupError(f"no backup for a {connection.vendor} database")


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore_database(folder: Path) -> None:
    if not database_is_empty():
        raise BackupError(
            f"the database {settings.DATABASES['default']['NAME']} has tables: "
            "restore into a fresh, empty database"
        )
    if (folder / "database.dump").exists() and connection.vendor == "postgresql":
        connection.close()
        run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--dbname",
                settings.DATABASES["default"]["NAME"],
                str(folder / "database.dump"),
            ]
        )
    elif (folder / "database.sqlite3").exists() and connection.vendor == "sqlite":
        connection.close()
        shutil.copyfile(folder / "database.sqlite3", settings.DATABASES["default"]["NAME"])
    else:
        raise BackupError(f"{folder} holds no backup of a {connection.vendor} database")


# --- the stored files ------------------------------------------------------------------


def stored_keys() -> Iterator[str]:
    """Every key of the default storage (relative to its location or prefix)."""
    storage: Any = storages["default"]  # S3Storage or FileSystemStorage
    if hasattr(storage, "bucket"):
        location = storage.location.strip("/")
        prefix = f"{location}/" if location else ""
        for item in storage.bucket.objects.filter(Prefix=prefix):
            yield item.key[len(prefix) :]
    else:
        root = Path(storage.location)
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    yield path.relative_to(root).as_posix()


def safe_path(folder: Path, key: str) -> Path:
    """Where a key's copy goes: never outside the backup's files/ folder."""
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or ".." in parts:
        raise BackupError(f"{key!r}: not a storage key this backup can hold")
    return folder / "files" / Path(*parts)


def copy_out(folder: Path, on_file: Callable[[str], None] | None = None) -> int:
    """Every stored file into the backup, with its size and sha256 in the manifest."""
    storage = storages["default"]
    count = 0
    with (folder / MANIFEST).open("w") as manifest:
        for key in stored_keys():
            target = safe_path(folder, key)
            target.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            with storage.open(key, "rb") as source, target.open("wb") as copy:
                while block := source.read(READ_BYTES):
                    digest.update(block)
                    copy.write(block)
                    size += len(block)
            manifest.write(json.dumps({"key": key, "size": size, "sha256": digest.hexdigest()}))
            manifest.write("\n")
            count += 1
            if on_file:
                on_file(key)
    return count


def manifest_of(folder: Path) -> list[dict]:
    path = folder / MANIFEST
    if not path.exists():
        raise BackupError(f"{folder} has no {MANIFEST}: not a backup")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def copy_in(folder: Path, on_file: Callable[[str], None] | None = None) -> int:
    """The backup's files into an empty storage, each under its own key."""
    storage = storages["default"]
    if next(stored_keys(), None) is not None:
        raise BackupError("the storage already holds files: restore into a fresh bucket or folder")
    entries = manifest_of(folder)
    for entry in entries:
        source = safe_path(folder, entry["key"])
        with source.open("rb") as stream:
            saved = storage.save(entry["key"], File(stream))
        if saved != entry["key"]:
            raise BackupError(f"{entry['key']}: stored as {saved}")
        if on_file:
            on_file(entry["key"])
    return len(entries)
