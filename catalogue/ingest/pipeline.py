"""The ingest pipeline: one code path from any source to catalogue rows.

    sources -> expand (expansion.py: spool to local files, open archives,
               set sidecars aside)
            -> per file, in 1..N processes (storing.py): sniff, sha256,
               duplicate check, decode + EXIF + thumbnails, store
            -> write the rows (one writer, here, through services.images)
            -> apply sidecars, each in a transaction with its annotations
               (handed to curation by catalogue.signals.annotations_found; a
               refused one is reported like a refused file and leaves nothing),
               derive the set's coverage (services.images, services.coverage),
               close the report

Each file either becomes one `Image` row with its original and thumbnails in
storage, or is reported (duplicate, rejected with its reason) with nothing of
it left behind. One bad file never stops the rest of the batch. Access is
checked before, by catalogue.services.ingest, the one caller.
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from catalogue import signals
from catalogue.ingest.errors import IngestError
from catalogue.ingest.expansion import Expander
from catalogue.ingest.outcomes import Outcome
from catalogue.ingest.sources import SourceFile
from catalogue.ingest.storing import (
    SetContext,
    delete_stored,
    ingest_one,
    storage_prefix,
    use_context,
)
from catalogue.models import Image, ImageSet, IngestBatch
from catalogue.services import revisions
from catalogue.services.coverage import apply_set_metadata, refresh_coverage
from catalogue.services.images import add_image, add_images, apply_sidecar

ProgressCallback = Callable[[Outcome], None]


class Progress:
    """Counts outcomes into the batch row (at most twice a second) and the callback."""

    def __init__(self, batch: IngestBatch, callback: ProgressCallback | None) -> None:
        self.batch = batch
        self.callback = callback
        self.saved_at = 0.0

    def record(self, outcome: Outcome) -> None:
        batch = self.batch
        batch.total += 1
        if outcome.status == "added":
            batch.added += 1
        elif outcome.status == "duplicate":
            batch.duplicates.append(
                {"name": outcome.name, "sha256": outcome.sha256, "same_as": outcome.same_as}
            )
        else:
            batch.rejected.append({"name": outcome.name, "reason": outcome.reason})
        if self.callback:
            self.callback(outcome)
        if time.monotonic() - self.saved_at > 0.5:
            self.save()

    def save(self) -> None:
        self.batch.save()
        self.saved_at = time.monotonic()


class RowWriter:
    """The one writer of image rows: inserts stored files in small transactions.

    Workers only store files; rows are written here, in batches, so SQLite has a
    single writer and PostgreSQL few round trips. A row and its files go
    together: when a row cannot be written, its files are deleted.
    """

    BATCH_ROWS = 50
    BATCH_SECONDS = 0.5

    def __init__(self, context: SetContext, progress: Progress) -> None:
        self.progress = progress
        self.taken = dict(context.known)  # sha256 -> file name, rows written or pending
        self.pending: list[Outcome] = []
        self.flushed_at = time.monotonic()

    def add(self, outcome: Outcome) -> None:
        if outcome.status != "stored":
            self.progress.record(outcome)
            return
        if outcome.sha256 in self.taken:  # the same content, stored twice in this batch
            delete_stored(outcome.stored)
            self.progress.record(self.duplicate(outcome, self.taken[outcome.sha256]))
            return
        self.taken[outcome.sha256] = outcome.name
        self.pending.append(outcome)
        if len(self.pending) >= self.BATCH_ROWS or (
            time.monotonic() - self.flushed_at > self.BATCH_SECONDS
        ):
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        self.flushed_at = time.monotonic()
        if not pending:
            return
        try:
            written = add_images([_row(o) for o in pending])
            results = [added(o, image.pk) for o, image in zip(pending, written, strict=True)]
        except IntegrityError:
            # Another batch wrote the same content meanwhile: find which, row by row.
            results = [self.write_one(outcome) for outcome in pending]
        for outcome in results:
            self.progress.record(outcome)

    def write_one(self, outcome: Outcome) -> Outcome:
        row = _row(outcome)
        try:
            image = add_image(row)
        except IntegrityError:
            delete_stored(outcome.stored)
            same = Image.objects.filter(
                image_set_id=row["image_set_id"], sha256=outcome.sha256
            ).first()
            return self.duplicate(outcome, same.file_name if same else "")
        return added(outcome, image.pk)

    def abandon(self) -> None:
        """On failure: delete the files of rows that will never be written."""
        for outcome in self.pending:
            delete_stored(outcome.stored)
        self.pending = []

    @staticmethod
    def duplicate(outcome: Outcome, same_as: str) -> Outcome:
        return Outcome(outcome.name, "duplicate", sha256=outcome.sha256, same_as=same_as)


def _row(outcome: Outcome) -> dict[str, Any]:
    """The Image fields of a pending outcome."""
    # RowWriter.add queues only "stored" outcomes, and those always carry their row.
    assert outcome.row is not None, outcome.name
    return outcome.row


def added(outcome: Outcome, image_id: int) -> Outcome:
    return Outcome(outcome.name, "added", sha256=outcome.sha256, image_id=image_id)


def apply_sidecars(image_set: ImageSet, sidecars: list, progress: Progress) -> list[str]:
    """Apply each sidecar (its set header, image fields and annotations) in a transaction
    of its own: one whose annotations are refused is reported like a file refused, and
    nothing of it stays. Returns the warnings of the applied ones."""
    warnings: list[str] = []
    images = list(image_set.images.all()) if sidecars else []
    for sidecar in sidecars:
        try:
            with transaction.atomic():
                apply_set_metadata(image_set, sidecar.set_metadata.fields)
                warnings += apply_sidecar(image_set, sidecar, images)
        except IngestError as error:
            image_set.refresh_from_db()
            images = list(image_set.images.all())
            progress.record(Outcome(error.name, "rejected", error.reason))
    return warnings


def run_ingest(
    image_set: ImageSet,
    sources: Iterable[Iterable[SourceFile | IngestError]],
    *,
    label: str,
    workers: int = 1,
    on_progress: ProgressCallback | None = None,
) -> IngestBatch:
    """Ingest every file of `sources` into the set; the batch row is the report."""
    batch = IngestBatch.objects.create(image_set=image_set, source=label[:1000])
    progress = Progress(batch, on_progress)
    context = SetContext(
        set_id=image_set.pk,
        prefix=storage_prefix(image_set),
        known=dict(image_set.images.values_list("sha256", "file_name")),
    )
    writer = RowWriter(context, progress)
    workdir = Path(tempfile.mkdtemp(prefix="aquacat-ingest-"))
    expander = Expander(workdir)
    try:
        items = (item for source in sources for item in expander.expand(source))
        if workers > 1:
            # Children are forked: they must open database connections of their own.
            connections.close_all()
            pool = multiprocessing.get_context("fork").Pool(
                workers, initializer=use_context, initargs=(context,)
            )
            with pool:
                for outcome in pool.imap_unordered(ingest_one, items, chunksize=4):
                    writer.add(outcome)
        else:
            use_context(context)
            for item in items:
                writer.add(ingest_one(item))
        writer.flush()
        batch.warnings = apply_sidecars(image_set, expander.sidecars, progress)
        refresh_coverage(image_set)
        # Counts, labels and coverage of the set changed with its images.
        revisions.set_changed(image_set)
        batch.status = IngestBatch.Status.DONE
        if batch.added:
            transaction.on_commit(
                lambda: signals.images_added.send(sender=ImageSet, image_set=image_set)
            )
    except BaseException:
        writer.abandon()
        batch.status = IngestBatch.Status.FAILED
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        batch.finished = timezone.now()
        progress.save()
    return batch
