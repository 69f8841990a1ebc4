"""The ingest pipeline: one code path from any source to catalogue rows.

    sources -> expand (spool to local files, open archives, set sidecars aside)
            -> per file, in 1..N processes: sniff, sha256, duplicate check,
               decode + EXIF + thumbnails, store, insert the row
            -> apply sidecars, derive the set's coverage, close the report

Each file either becomes one `Image` row with its original and thumbnails in
storage, or is reported (duplicate, rejected with its reason) with nothing of
it left behind. One bad file never stops the rest of the batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from catalogue import signals
from catalogue.ingest import archives, imaging, sidecars
from catalogue.ingest.errors import IngestError
from catalogue.ingest.sources import SourceFile
from catalogue.models import Image, ImageSet, IngestBatch
from catalogue.search import outbox

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
SIDECAR_SUFFIXES = {".tsv", ".txt", ".yaml", ".yml", ".json"}
SIDECAR_MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Candidate:
    """A file ready to be ingested: its name in the source and a local copy."""

    name: str
    path: Path
    temporary: bool


@dataclass
class Outcome:
    name: str
    status: str  # "stored" (files kept, row not yet written) | "added" | "duplicate" | "rejected"
    reason: str = ""
    sha256: str = ""
    same_as: str = ""
    image_id: int | None = None
    row: dict | None = None  # the Image fields, while "stored"
    stored: list[str] = field(default_factory=list)  # storage keys, while "stored"


ProgressCallback = Callable[[Outcome], None]


def storage_prefix(image_set: ImageSet) -> str:
    """Everything stored for a set lives under this prefix, and nothing else."""
    return f"sets/{image_set.uuid}/"


# --- stage 1: expand sources into local candidates ------------------------------------


class Expander:
    """Turns source files into candidates, opening archives and keeping sidecars."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.sidecars: list[sidecars.Sidecar] = []
        self.counter = 0
        self.limits = archives.ArchiveLimits(
            max_entries=settings.INGEST_ARCHIVE_MAX_ENTRIES,
            max_total_bytes=settings.INGEST_ARCHIVE_MAX_BYTES,
            max_entry_bytes=settings.INGEST_MAX_FILE_BYTES,
            max_ratio=settings.INGEST_ARCHIVE_MAX_RATIO,
        )

    def expand(self, items: Iterable[SourceFile | IngestError]) -> Iterator[Candidate | Outcome]:
        try:
            for item in items:
                if isinstance(item, IngestError):
                    yield rejected(item)
                    continue
                try:
                    yield from self.expand_file(item)
                except IngestError as error:
                    yield rejected(error)
        except IngestError as error:  # the source itself failed (listing, folder rules)
            yield rejected(error)

    def expand_file(self, item: SourceFile) -> Iterator[Candidate | Outcome]:
        candidate = self.localise(item.name, item.open, item.path)
        with open(candidate.path, "rb") as stream:
            looks_like_image = imaging.sniff(stream.read(16)) is not None
        if looks_like_image:  # the common case: skip the archive and sidecar probes
            yield candidate
        elif archives.is_archive(candidate.path):
            try:
                yield from self.expand_archive(candidate)
            finally:
                discard(candidate)
        elif self.is_sidecar(candidate):
            discard(candidate)
        else:
            yield candidate

    def expand_archive(self, archive: Candidate) -> Iterator[Candidate | Outcome]:
        try:
            for entry in archives.iter_archive(
                archive.path, archive_name=archive.name, limits=self.limits
            ):
                if isinstance(entry, IngestError):
                    yield rejected(entry)
                    continue
                try:
                    member = self.localise(entry.name, entry.open, None)
                    if archives.is_archive(member.path):
                        discard(member)
                        raise IngestError(entry.name, "an archive inside an archive")
                    if self.is_sidecar(member):
                        discard(member)
                        continue
                except IngestError as error:
                    yield rejected(error)
                    continue
                yield member
        except IngestError as error:
            yield rejected(error)

    def localise(self, name: str, opener, path: Path | None) -> Candidate:
        """A local file for `name`: the file itself when local, else a spooled copy."""
        if path is not None:
            return Candidate(name=name, path=path, temporary=False)
        self.counter += 1
        target = self.workdir / f"{self.counter:08d}"
        limit = settings.INGEST_MAX_FILE_BYTES
        written = 0
        try:
            with opener() as stream, open(target, "wb") as out:
                while chunk := stream.read(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise IngestError(name, f"larger than the limit of {limit:,} bytes")
                    out.write(chunk)
        except IngestError:
            target.unlink(missing_ok=True)
            raise
        except OSError as error:
            target.unlink(missing_ok=True)
            raise IngestError(name, f"could not be read: {error}") from error
        return Candidate(name=name, path=target, temporary=True)

    def is_sidecar(self, candidate: Candidate) -> bool:
        if PurePosixPath(candidate.name).suffix.lower() not in SIDECAR_SUFFIXES:
            return False
        with open(candidate.path, "rb") as stream:
            head = stream.read(4096)
        if not sidecars.sniff_sidecar(candidate.name, head):
            return False
        size = candidate.path.stat().st_size
        if size > SIDECAR_MAX_BYTES:
            raise IngestError(candidate.name, f"sidecar larger than {SIDECAR_MAX_BYTES:,} bytes")
        self.sidecars.append(sidecars.parse_sidecar(candidate.name, candidate.path.read_bytes()))
        return True


def rejected(error: IngestError) -> Outcome:
    return Outcome(error.name, "rejected", error.reason)


def discard(candidate: Candidate) -> None:
    if candidate.temporary:
        candidate.path.unlink(missing_ok=True)


# --- stage 2: one file into storage (runs in worker processes) -------------------------


@dataclass(frozen=True)
class SetContext:
    """What a worker needs to know of the target set; inherited once per process."""

    set_id: int
    prefix: str
    known: dict[str, str]  # sha256 -> file name, of the images the set already holds


_context: SetContext | None = None


def use_context(context: SetContext) -> None:
    """Pool initializer (and the inline path): set the target of `ingest_one`."""
    global _context
    _context = context


def ingest_one(item: Candidate | Outcome) -> Outcome:
    """Store one candidate's files and describe its row; pass ready outcomes through."""
    if isinstance(item, Outcome):
        return item
    try:
        return store_candidate(_context, item)
    except IngestError as error:
        return rejected(error)
    except Exception as error:  # a bug must not stop the batch; it is logged and reported
        logger.exception("ingest of %s failed", item.name)
        return Outcome(item.name, "rejected", f"internal error: {type(error).__name__}: {error}")
    finally:
        discard(item)


def store_candidate(context: SetContext, candidate: Candidate) -> Outcome:
    """Sniff, hash, decode, store original and thumbnails; the row is left to the writer."""
    name, path = candidate.name, candidate.path
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        head = stream.read(CHUNK)
        media_type = imaging.sniff(head)
        if media_type is None:
            raise IngestError(name, f"refused: the content is {imaging.describe(head)}")
        imaging.check_name(name, media_type)
        digest.update(head)
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    sha256 = digest.hexdigest()
    if sha256 in context.known:
        return Outcome(name, "duplicate", sha256=sha256, same_as=context.known[sha256])

    processed = imaging.process_image(str(path), name, media_type)
    suffix = imaging.IMAGE_TYPES[media_type][1]
    stored: list[str] = []
    try:
        with open(path, "rb") as stream:
            original = default_storage.save(
                f"{context.prefix}originals/{sha256[:2]}/{sha256}.{suffix}", File(stream)
            )
        stored.append(original)
        thumbnails = {}
        for size_name, data in processed.thumbnails.items():
            key = f"{context.prefix}thumbnails/{size_name}/{sha256[:2]}/{sha256}.jpg"
            thumbnails[size_name] = default_storage.save(key, ContentFile(data))
            stored.append(thumbnails[size_name])
    except BaseException:
        delete_stored(stored)
        raise
    row = {
        "image_set_id": context.set_id,
        "file_name": name,
        "storage_key": original,
        "sha256": sha256,
        "size": path.stat().st_size,
        "media_type": media_type,
        "width": processed.width,
        "height": processed.height,
        "frames": processed.frames,
        "mode": processed.mode,
        "captured_at": processed.captured_at,
        "latitude": processed.latitude,
        "longitude": processed.longitude,
        "depth": processed.depth,
        "exif": processed.exif,
        "thumbnail_small": thumbnails.get("small", ""),
        "thumbnail_medium": thumbnails.get("medium", ""),
    }
    return Outcome(name, "stored", sha256=sha256, row=row, stored=stored)


def delete_stored(keys: list[str]) -> None:
    for key in keys:
        try:
            default_storage.delete(key)
        except Exception:  # cleanup must not hide the original error
            logger.exception("could not delete %s after a failed ingest", key)


# --- stage 3: rows, progress, the whole batch -------------------------------------------


class Progress:
    """Counts outcomes into the batch row (at most twice a second) and the callback."""

    def __init__(self, batch: IngestBatch, callback: ProgressCallback | None):
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

    def __init__(self, context: SetContext, progress: Progress):
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
            with transaction.atomic():
                images = Image.objects.bulk_create([Image(**o.row) for o in pending])
                outbox.record("image", [image.pk for image in images])
            results = [added(o, image.pk) for o, image in zip(pending, images, strict=True)]
        except IntegrityError:
            # Another batch wrote the same content meanwhile: find which, row by row.
            results = [self.write_one(outcome) for outcome in pending]
        for outcome in results:
            self.progress.record(outcome)

    def write_one(self, outcome: Outcome) -> Outcome:
        try:
            with transaction.atomic():
                image = Image.objects.create(**outcome.row)
                outbox.record("image", [image.pk])
        except IntegrityError:
            delete_stored(outcome.stored)
            same = Image.objects.filter(
                image_set_id=outcome.row["image_set_id"], sha256=outcome.sha256
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


def added(outcome: Outcome, image_id: int) -> Outcome:
    return Outcome(outcome.name, "added", sha256=outcome.sha256, image_id=image_id)


def run_ingest(
    image_set: ImageSet,
    sources: Iterable[Iterable[SourceFile | IngestError]],
    *,
    label: str,
    workers: int = 1,
    on_progress: ProgressCallback | None = None,
) -> IngestBatch:
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
        batch.warnings = apply_sidecars(image_set, expander.sidecars)
        refresh_coverage(image_set)
        # Counts, labels and coverage of the set changed with its images.
        outbox.set_changed(image_set)
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


# --- sidecars and coverage -------------------------------------------------------------


def apply_sidecars(image_set: ImageSet, found: list[sidecars.Sidecar]) -> list[str]:
    """Fill image fields from sidecar metadata, matching by path then by base name."""
    warnings: list[str] = []
    if not found:
        return warnings
    images = list(image_set.images.all())
    by_name = {image.file_name: image for image in images}
    by_base: dict[str, list[Image]] = {}
    for image in images:
        by_base.setdefault(PurePosixPath(image.file_name).name, []).append(image)
    changed: dict[int, Image] = {}
    for sidecar in found:
        warnings.extend(f"{sidecar.format}: {warning}" for warning in sidecar.warnings)
        apply_set_metadata(image_set, sidecar.set_metadata.fields)
        for file_name, metadata in sidecar.images.items():
            matches = [by_name[file_name]] if file_name in by_name else None
            matches = matches or by_base.get(PurePosixPath(file_name).name, [])
            if not matches:
                warnings.append(f"{sidecar.format}: no image named {file_name!r} in this set")
                continue
            for image in matches:
                apply_image_metadata(image, metadata)
                if image.pk not in changed:
                    image.revision += 1
                changed[image.pk] = image
    with transaction.atomic():
        Image.objects.bulk_update(
            changed.values(),
            ["captured_at", "latitude", "longitude", "depth", "fields", "revision"],
        )
        outbox.record("image", list(changed))
    return warnings


def apply_image_metadata(image: Image, metadata: sidecars.ImageMetadata) -> None:
    if metadata.captured_at is not None:
        image.captured_at = metadata.captured_at
    if metadata.latitude is not None and metadata.longitude is not None:
        image.latitude, image.longitude = metadata.latitude, metadata.longitude
    if metadata.depth_min is not None or metadata.depth_max is not None:
        depths = [d for d in (metadata.depth_min, metadata.depth_max) if d is not None]
        image.depth = sum(depths) / len(depths)
        if metadata.depth_min != metadata.depth_max:
            image.fields["depth_min"], image.fields["depth_max"] = (
                metadata.depth_min,
                metadata.depth_max,
            )
    image.fields.update(json_safe(metadata.fields))
    if metadata.annotation:
        image.fields["annotation"] = json_safe(metadata.annotation)


def json_safe(value):
    """Sidecar values as JSON (dates and times as ISO 8601 strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# Set fields a sidecar header may fill when the set leaves them empty.
SET_FIELDS_FROM_SIDECAR = (
    "title",
    "description",
    "licence",
    "platform",
    "instrument",
    "creators",
    "keywords",
)


def apply_set_metadata(image_set: ImageSet, fields: dict) -> None:
    """Fill the set's empty fields from a sidecar header; stated fields are kept."""
    from catalogue.vocabularies import licences

    updates = {}
    for field_name in SET_FIELDS_FROM_SIDECAR:
        value = fields.get(field_name)
        if isinstance(value, dict):  # iFDO gives {"name", "uri"}
            value = value.get("name")
        if field_name == "licence" and value not in licences():
            continue
        if field_name == "creators" and value:
            value = [{k: c[k] for k in ("name", "orcid") if c.get(k)} for c in value]
        if value and not getattr(image_set, field_name):
            updates[field_name] = value
    if updates:
        for field_name, value in updates.items():
            setattr(image_set, field_name, value)
        image_set.full_clean()
        image_set.save(update_fields=[*updates, "updated"])


def refresh_coverage(image_set: ImageSet) -> None:
    """Derive bbox, time span and depth range from the images where the set states none."""
    from django.db.models import Max, Min

    stats = image_set.images.aggregate(
        west=Min("longitude"),
        east=Max("longitude"),
        south=Min("latitude"),
        north=Max("latitude"),
        time_start=Min("captured_at"),
        time_end=Max("captured_at"),
        depth_min=Min("depth"),
        depth_max=Max("depth"),
    )
    parts = {
        "bbox": ("west", "south", "east", "north"),
        "time": ("time_start", "time_end"),
        "depth": ("depth_min", "depth_max"),
    }
    derived = set(image_set.derived_coverage)
    changed = []
    for part, names in parts.items():
        stated = any(getattr(image_set, n) is not None for n in names) and part not in derived
        if stated or any(stats[n] is None for n in names):
            continue
        for field_name in names:
            setattr(image_set, field_name, stats[field_name])
        derived.add(part)
        changed.extend(names)
    if changed:
        # The caller bumps the revision and queues the set for indexing.
        image_set.derived_coverage = sorted(derived)
        image_set.save(update_fields=[*changed, "derived_coverage", "updated"])
