"""The ingest pipeline: one code path from any source to catalogue rows.

    sources -> expand (expansion.py: spool to local files, open archives,
               parse sidecars, every problem of a refused one collected)
            -> per file, in 1..N processes (storing.py): sniff, sha256,
               duplicate check, decode + EXIF + thumbnails, store
            -> write the rows (writing.py, one writer, through services.images):
               each accepted sidecar in one transaction with its new images, its
               corrections to images the set holds and its annotations (handed to
               curation by catalogue.signals.annotations_found); the images of a
               refused sidecar are not imported; then the rest in batches
            -> derive the set's coverage (services.coverage), close the report

Each file either becomes one `Image` row with its original and thumbnails in
storage, corrects an image the set holds, or is reported (duplicate, rejected
with its reason) with nothing of it left behind. One bad file never stops the
rest of the batch. Access is checked before, by catalogue.services.ingest, the
one caller.
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import connections, transaction
from django.utils import timezone

from catalogue import signals
from catalogue.ingest.errors import IngestError
from catalogue.ingest.expansion import Expander
from catalogue.ingest.outcomes import Outcome
from catalogue.ingest.sources import SourceFile
from catalogue.ingest.storing import SetContext, ingest_one, storage_prefix, use_context
from catalogue.ingest.writing import RowWriter
from catalogue.models import ImageSet, IngestBatch
from catalogue.services import revisions
from catalogue.services.coverage import refresh_coverage

ProgressCallback = Callable[[Outcome], None]


class Progress:
    """Counts outcomes into the batch row (saved at most twice a second) and the callback.

    A file is `seen` when it is stored (its row may wait for its sidecar) and
    `settle`d when it is added, updated, a duplicate or rejected; `record` does both.
    """

    def __init__(self, batch: IngestBatch, callback: ProgressCallback | None) -> None:
        self.batch = batch
        self.callback = callback
        self.saved_at = 0.0

    def record(self, outcome: Outcome) -> None:
        self.seen(outcome)
        self.settle(outcome)

    def seen(self, outcome: Outcome) -> None:
        self.batch.total += 1
        if self.callback:
            self.callback(outcome)
        self.maybe_save()

    def settle(self, outcome: Outcome) -> None:
        batch = self.batch
        if outcome.status == "added":
            batch.added += 1
        elif outcome.status == "updated":
            batch.updated.append({"name": outcome.name, "image_id": outcome.image_id})
        elif outcome.status == "duplicate":
            batch.duplicates.append(
                {"name": outcome.name, "sha256": outcome.sha256, "same_as": outcome.same_as}
            )
        else:
            batch.rejected.append({"name": outcome.name, "reason": outcome.reason})
        self.maybe_save()

    def updated(self, name: str, image_id: int) -> None:
        """An image of the set corrected by a sidecar without its file being sent again."""
        self.batch.updated.append({"name": name, "image_id": image_id})

    def reject_sidecar(self, entry: dict) -> None:
        """A refused sidecar: its entry names every problem (records.SidecarRefused)."""
        self.batch.rejected.append(entry)
        self.maybe_save()

    def maybe_save(self) -> None:
        if time.monotonic() - self.saved_at > 0.5:
            self.save()

    def save(self) -> None:
        self.batch.save()
        self.saved_at = time.monotonic()


def refuse_copies_of_refused(batch: IngestBatch, *, held: set[str]) -> None:
    """A copy of a file this batch refused (a recording is claimed by its first copy
    before it is decoded) is refused with it: not a duplicate of a file the set does
    not hold."""
    refused = {
        entry["name"]: entry.get("reason", "")
        for entry in batch.rejected
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    }
    kept = []
    for entry in batch.duplicates:
        first = entry.get("same_as")
        if first in held or first not in refused:
            kept.append(entry)
            continue
        reason = f"the same file as {first}, which was refused: {refused[first]}"
        batch.rejected.append({"name": entry["name"], "reason": reason})
    batch.duplicates = kept


def run_ingest(
    image_set: ImageSet,
    sources: Iterable[Iterable[SourceFile | IngestError]],
    *,
    label: str,
    workers: int = 1,
    on_progress: ProgressCallback | None = None,
    without_metadata: bool = False,
    frames: dict | None = None,
) -> IngestBatch:
    """Ingest every file of `sources` into the set; the batch row is the report.

    `without_metadata`: the images a refused sidecar describes are imported all the
    same, without its metadata (the curator asked for it); by default they are not.
    `frames`: the frame sampling of the batch's videos (recordings.frames.chosen_sampling).
    """
    batch = IngestBatch.objects.create(image_set=image_set, source=label[:1000])
    progress = Progress(batch, on_progress)
    workdir = Path(tempfile.mkdtemp(prefix="aquacat-ingest-"))
    context = SetContext(
        set_id=image_set.pk,
        prefix=storage_prefix(image_set),
        known={
            **dict(image_set.recordings.values_list("sha256", "file_name")),
            **dict(image_set.images.values_list("sha256", "file_name")),
        },
        frames_chosen=frames,
        recording_claims=str(workdir / "recording-claims"),
    )
    writer = RowWriter(context, progress)
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
        batch.warnings = expander.notes + writer.finish(
            image_set, expander.sidecars, expander.refused, without_metadata=without_metadata
        )
        refuse_copies_of_refused(batch, held=set(context.known.values()))
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
