"""The fixity rota: enrol stored files, re-hash the ones checked longest ago.

Each run reads a share of the files sized so that every file is read at least once
per FIXITY_PERIOD_DAYS at the schedule's period; files never checked come first.
A file that cannot be read is `missing` or `unreadable`, never `ok`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import F, Model
from django.utils import timezone

from catalogue.fixity.models import FileCheck
from catalogue.models import Image, Recording

READ_BYTES = 1024 * 1024
ENROL_BATCH = 2000
PROBLEMS = (FileCheck.Result.MISMATCH, FileCheck.Result.MISSING, FileCheck.Result.UNREADABLE)
#: Where the key of each kind of stored file is held: an original is an image's file
#: or a recording's (its audio or video as it came); thumbnails are images' only.
KEY_FIELDS: dict[str, tuple[tuple[type[Model], str], ...]] = {
    FileCheck.Kind.ORIGINAL: ((Image, "storage_key"), (Recording, "storage_key")),
    FileCheck.Kind.THUMBNAIL_SMALL: ((Image, "thumbnail_small"),),
    FileCheck.Kind.THUMBNAIL_MEDIUM: ((Image, "thumbnail_medium"),),
}


def enrol_files() -> dict[str, int]:
    """A row for every stored file that has none; rows of files no image or recording
    holds are dropped (they were deleted). Runs in the database, in batches."""
    added = removed = 0
    for kind, sources in KEY_FIELDS.items():
        for model, field in sources:
            added += enrol(kind, model, field)
        unheld = FileCheck.objects.filter(kind=kind)
        for model, field in sources:
            unheld = unheld.exclude(
                storage_key__in=model._default_manager.exclude(**{field: ""}).values(field)
            )
        removed += unheld.delete()[0]
    return {"enrolled": added, "dropped": removed}


def enrol(kind: str, model: type[Model], field: str) -> int:
    """Rows for the files under `field` of `model` rows that have none; how many."""
    added = 0
    known = FileCheck.objects.filter(kind=kind).values("storage_key")
    fresh = (
        model._default_manager.exclude(**{field: ""})
        .exclude(**{f"{field}__in": known})
        .values_list(field, "sha256")
        .order_by(field)
        .distinct()
    )
    while batch := list(fresh[:ENROL_BATCH]):
        rows = [
            FileCheck(
                storage_key=key,
                kind=kind,
                expected_sha256=sha256 if kind == FileCheck.Kind.ORIGINAL else "",
            )
            for key, sha256 in batch
        ]
        added += len(FileCheck.objects.bulk_create(rows, ignore_conflicts=True))
        if len(batch) < ENROL_BATCH:
            break
    return added


def share_per_run(total: int) -> int:
    """Files to read per run so that all are read within the period (at least one)."""
    run_seconds = settings.SCHEDULE_PERIODS["fixity"] or 3600
    period_seconds = max(1, settings.FIXITY_PERIOD_DAYS) * 86400
    return max(1, math.ceil(total * run_seconds / period_seconds))


def due_files(limit: int) -> list[FileCheck]:
    """The files checked longest ago, never-checked ones first."""
    return list(FileCheck.objects.order_by(F("checked").asc(nulls_first=True), "pk")[:limit])


def read_sha256(key: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(key, "rb") as stored:
        while block := stored.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def check_file(row: FileCheck) -> FileCheck:
    """Read one file whole and record what its bytes say."""
    now = timezone.now()
    try:
        actual = read_sha256(row.storage_key)
    except Exception as error:  # a store error of any kind: the file was not read
        row.actual_sha256 = ""
        row.result = FileCheck.Result.UNREADABLE
        row.detail = f"{type(error).__name__}: {error}"[:2000]
        if isinstance(error, FileNotFoundError) or not stored_exists(row.storage_key):
            row.result = FileCheck.Result.MISSING
            row.detail = "the store has no file under this key"
    else:
        row.actual_sha256 = actual
        if not row.expected_sha256:
            row.expected_sha256 = actual
            row.result = FileCheck.Result.BASELINE
            row.detail = ""
        elif actual == row.expected_sha256:
            row.result = FileCheck.Result.OK
            row.detail = ""
        else:
            row.result = FileCheck.Result.MISMATCH
            row.detail = f"expected sha256 {row.expected_sha256}, read {actual}"
    row.checked = now
    row.checks += 1
    if row.result in PROBLEMS:
        row.first_problem = row.first_problem or now
    else:
        row.first_problem = None
    row.save()
    return row


def stored_exists(key: str) -> bool:
    try:
        return default_storage.exists(key)
    except Exception:  # the store itself failed: the file may be there
        return True


def run_rota(limit: int | None = None, on_file: Callable[[FileCheck], None] | None = None) -> dict:
    """Enrol new files, then check this run's share; the counts of what was found."""
    enrolled = enrol_files()
    total = FileCheck.objects.count()
    rows = due_files(limit if limit is not None else share_per_run(total))
    results = count_results(check_file(row) for row in notify(rows, on_file))
    return {**enrolled, "files": total, "checked": len(rows), "results": results}


def notify(rows: Iterable[FileCheck], on_file) -> Iterable[FileCheck]:
    for row in rows:
        yield row
        if on_file:
            on_file(row)


def count_results(rows: Iterable[FileCheck]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.result] = counts.get(row.result, 0) + 1
    return counts
