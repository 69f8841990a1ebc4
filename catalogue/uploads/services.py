"""Every write of an upload: start, receive a chunk, sign S3 parts, complete (queue the
ingest), cancel, ingest (the worker's part) and expire abandoned ones.

Only whoever may add images to the set (Action.EDIT) acts, and only on uploads of
their own: any other id is unknown (selectors.own_upload raises Upload.DoesNotExist).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalogue import access
from catalogue.access import Action
from catalogue.errors import FieldError
from catalogue.ingest import pipeline
from catalogue.ingest import sources as ingest_sources
from catalogue.models import ImageSet, IngestBatch
from catalogue.recordings.frames import described_sampling
from catalogue.uploads import storage
from catalogue.uploads.models import Upload

INGEST_TASK = "catalogue.ingest_upload"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
OPEN_STATES = (Upload.State.UPLOADING,)
GONE_STATES = (Upload.State.CANCELLED, Upload.State.FAILED, Upload.State.EXPIRED)


class TooManyUploads(Exception):
    """The user has UPLOAD_MAX_CONCURRENT uploads open already."""


def batch_label(upload: Upload) -> str:
    """The ingest batch's source: names the upload, so its batch can be found by it."""
    return f"upload {upload.uuid}: {upload.file_name}"


def fresh_expiry() -> datetime:
    return timezone.now() + timedelta(hours=settings.UPLOAD_EXPIRY_HOURS)


def clean_file_name(name: str) -> str:
    name = unicodedata.normalize("NFC", Path(str(name).replace("\\", "/")).name).strip()
    if not name or name in (".", "..") or "\x00" in name:
        raise FieldError("file_name", "give the file's name")
    return name[:255]


def start_upload(
    image_set: ImageSet,
    *,
    actor,
    file_name: str,
    size: int,
    sha256: str = "",
    without_metadata: bool = False,
    frames: dict | None = None,
) -> Upload:
    """Open an upload: a staging file, or an S3 multipart upload when storage is S3.

    The whole file's sha256 may come now or with the completion, so that a client
    hashes the file while it sends it instead of reading it twice; so may the frame
    sampling of its videos (`frames`, recordings.frames.chosen_sampling)."""
    access.require(actor, Action.EDIT, image_set)
    name = clean_file_name(file_name)
    if size < 1:
        raise FieldError("size", "a file of at least one byte")
    if size > settings.UPLOAD_MAX_BYTES:
        raise FieldError("size", f"{size} bytes; at most {settings.UPLOAD_MAX_BYTES} are accepted")
    sha256 = valid_sha256(sha256) if sha256 else ""
    with transaction.atomic():
        # The lock on the user's row serialises concurrent starts of one user.
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        open_count = Upload.objects.filter(owner=actor, state__in=OPEN_STATES).count()
        if open_count >= settings.UPLOAD_MAX_CONCURRENT:
            raise TooManyUploads(
                f"{open_count} uploads are open; finish or cancel one first "
                f"(at most {settings.UPLOAD_MAX_CONCURRENT} at a time)"
            )
        upload = Upload(
            image_set=image_set,
            owner=actor,
            file_name=name,
            size=size,
            sha256=sha256,
            without_metadata=without_metadata,
            frames=frames,
            backend=Upload.Backend.S3 if storage.uses_s3() else Upload.Backend.LOCAL,
            expires=fresh_expiry(),
        )
        if upload.backend == Upload.Backend.S3:
            storage.s3_begin(upload)
        else:
            storage.local_begin(upload)
        upload.save()
    return upload


def valid_sha256(sha256: str) -> str:
    sha256 = str(sha256).lower()
    if not SHA256.match(sha256):
        raise FieldError("sha256", "64 hexadecimal digits: the file's SHA-256")
    return sha256


def require_open(upload: Upload, actor) -> None:
    access.require(actor, Action.EDIT, upload.image_set)
    if upload.state != Upload.State.UPLOADING:
        raise storage.ChunkRefused(409, f"the upload is {upload.state}, no longer uploading")


def write_chunk(
    upload: Upload,
    *,
    actor,
    offset: int,
    stream: BinaryIO,
    length: int,
    sha256: str | None = None,
) -> Upload:
    """Receive bytes at `offset` (local uploads); the staging file is the truth, the
    row follows it (a cancel meanwhile wins: its row is no longer uploading)."""
    upload = Upload.objects.select_related("image_set").get(pk=upload.pk)
    require_open(upload, actor)
    if upload.backend != Upload.Backend.LOCAL:
        raise storage.ChunkRefused(409, "this upload goes to S3: PUT its parts there")
    if length > settings.UPLOAD_CHUNK_MAX_BYTES:
        raise storage.ChunkRefused(
            413, f"a chunk may have at most {settings.UPLOAD_CHUNK_MAX_BYTES} bytes"
        )
    try:
        storage.local_write(upload, offset, stream, length, sha256)
    finally:
        held_bytes(upload)
    return upload


def held_bytes(upload: Upload) -> int:
    """What a local upload holds, brought into its row (and its expiry pushed back)."""
    if upload.backend == Upload.Backend.LOCAL and upload.state == Upload.State.UPLOADING:
        upload.received = storage.local_held(upload)
        upload.expires = fresh_expiry()
        Upload.objects.filter(pk=upload.pk, state=Upload.State.UPLOADING).update(
            received=upload.received, expires=upload.expires, changed=timezone.now()
        )
    return upload.received


def sign_parts(upload: Upload, *, actor, parts: list[dict]) -> list[dict]:
    """Presigned PUT URLs for the parts named (number and the part's sha256)."""
    require_open(upload, actor)
    if upload.backend != Upload.Backend.S3:
        raise storage.ChunkRefused(409, "this upload is sent in chunks to the server")
    count = storage.s3_part_count(upload)
    problems = []
    for index, part in enumerate(parts):
        number = part.get("number")
        if not isinstance(number, int) or not 1 <= number <= count:
            problems.append(f"parts[{index}].number: a part number from 1 to {count}")
        if not SHA256.match(str(part.get("sha256", "")).lower()):
            problems.append(f"parts[{index}].sha256: 64 hexadecimal digits")
    if problems:
        raise FieldError("parts", "; ".join(problems))
    Upload.objects.filter(pk=upload.pk).update(expires=fresh_expiry())
    return storage.s3_sign(upload, [{**p, "sha256": p["sha256"].lower()} for p in parts])


def held_parts(upload: Upload) -> list[dict]:
    """What S3 holds of an S3 upload (for a client that resumes), counted into `received`."""
    if upload.backend != Upload.Backend.S3 or upload.state != Upload.State.UPLOADING:
        return []
    parts = storage.s3_parts(upload)
    received = sum(p["size"] for p in parts)
    if received != upload.received:
        Upload.objects.filter(pk=upload.pk).update(received=received)
        upload.received = received
    return parts


def frames_conflict(upload: Upload, frames: dict | None) -> tuple[str, str] | None:
    """(field, reason) when a completion's frame sampling is not the one chosen at the
    start; None when it agrees or either said nothing."""
    if not frames or not upload.frames or upload.frames == frames:
        return None
    field = "frame_rate" if frames.get("mode") == "rate" else "scene_threshold"
    given, before = described_sampling(frames), described_sampling(upload.frames)
    return field, f"{given} differs from {before}, chosen at the start"


def complete_upload(
    upload: Upload, *, actor, sha256: str = "", frames: dict | None = None
) -> Upload:
    """Every byte is there: queue the ingest (the worker checks the sha256 first).

    `sha256` is the whole file's, unless it was given at the start (then it must agree).
    `frames`: the frame sampling of its videos (recordings.frames.chosen_sampling),
    unless chosen at the start (then it must agree), kept on the upload for its ingest."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().select_related("image_set").get(pk=upload.pk)
        require_open(upload, actor)
        if sha256:
            sha256 = valid_sha256(sha256)
            if upload.sha256 and upload.sha256 != sha256:
                raise FieldError(
                    "sha256", f"{sha256} differs from {upload.sha256}, given at the start"
                )
            upload.sha256 = sha256
        elif not upload.sha256:
            raise FieldError("sha256", "give the whole file's SHA-256 (here or at the start)")
        if frames:
            if conflict := frames_conflict(upload, frames):
                raise FieldError(*conflict)
            upload.frames = frames
        if upload.backend == Upload.Backend.S3:
            parts = storage.s3_parts(upload)
            missing = storage.s3_missing(upload, parts)
            if missing:
                raise storage.ChunkRefused(
                    409, f"parts missing or incomplete: {', '.join(map(str, missing[:20]))}"
                )
            storage.s3_complete(upload, parts)
        elif storage.local_held(upload) != upload.size:
            raise storage.ChunkRefused(
                409, f"the server holds {storage.local_held(upload)} of {upload.size} bytes"
            )
        upload.received = upload.size
        upload.state = Upload.State.QUEUED
        upload.save(update_fields=["state", "received", "sha256", "frames", "changed"])
        transaction.on_commit(lambda: queue_ingest(upload.pk))
    return upload


def stage_received_file(
    image_set: ImageSet, *, actor, received, without_metadata=False, frames: dict | None = None
) -> Upload:
    """A file that arrived whole in a form post (a Django UploadedFile), handed to the
    worker like a completed upload: staged (locally, or in S3 when storage is S3, so
    that a worker elsewhere reads it), then queued. For posts too large to ingest
    in the request."""
    access.require(actor, Action.EDIT, image_set)
    name = clean_file_name(received.name or "upload")
    if received.size > settings.UPLOAD_MAX_BYTES:
        raise FieldError("files", f"{name}: at most {settings.UPLOAD_MAX_BYTES} bytes")
    upload = Upload(
        image_set=image_set,
        owner=actor,
        file_name=name,
        size=received.size,
        sha256="",
        without_metadata=without_metadata,
        frames=frames,
        backend=Upload.Backend.S3 if storage.uses_s3() else Upload.Backend.LOCAL,
        received=received.size,
        state=Upload.State.QUEUED,
        expires=fresh_expiry(),
    )
    try:
        upload.sha256 = storage.stage_whole(upload, received)
        with transaction.atomic():
            upload.save()
            transaction.on_commit(lambda: queue_ingest(upload.pk))
    except BaseException:
        storage.remove(upload)
        raise
    return upload


def queue_ingest(upload_id: int) -> None:
    # By name: the task module imports this one. The upload holds all its choices.
    current_app.send_task(INGEST_TASK, args=[upload_id], queue=settings.UPLOAD_QUEUE or None)


def cancel_upload(upload: Upload, *, actor) -> Upload:
    """Stop an upload that is still uploading: its parts or staged bytes are removed."""
    with transaction.atomic():
        upload = Upload.objects.select_for_update().select_related("image_set").get(pk=upload.pk)
        require_open(upload, actor)
        storage.remove(upload)
        upload.state = Upload.State.CANCELLED
        upload.save(update_fields=["state", "changed"])
    return upload


def fail(upload: Upload, reason: str) -> None:
    storage.remove(upload)
    upload.state = Upload.State.FAILED
    upload.error = reason
    upload.save(update_fields=["state", "error", "changed", "batch"])


def count_archive_files(path: Path) -> int | None:
    """Files in a zip, for the progress bar; None when it is not a zip one can read."""
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(1 for info in archive.infolist() if not info.is_dir())
    except (zipfile.BadZipFile, OSError):
        return None


def ingest_upload(upload_id: int) -> str:
    """The worker's part: fetch (S3), verify the sha256, ingest, remove the staged bytes.

    Idempotent: an upload no longer queued (done, failed, taken by another delivery)
    is left as it is.
    """
    claimed = Upload.objects.filter(pk=upload_id, state=Upload.State.QUEUED).update(
        state=Upload.State.INGESTING, changed=timezone.now()
    )
    upload = Upload.objects.select_related("image_set", "owner").get(pk=upload_id)
    if not claimed:
        return upload.state
    path = Path(upload.staging)
    try:
        if upload.backend == Upload.Backend.S3:
            path = storage.staging_folder(upload) / upload.file_name
            storage.s3_fetch(upload, path)
        actual = storage.file_sha256(path)
        if actual != upload.sha256:
            fail(upload, f"sha256: the file received has {actual}, not {upload.sha256}")
            return upload.state
        upload.files_expected = count_archive_files(path)
        upload.save(update_fields=["files_expected", "changed"])
        access.require(upload.owner, Action.EDIT, upload.image_set)
        batch = pipeline.run_ingest(
            upload.image_set,
            [ingest_sources.local_file(path)],
            label=batch_label(upload),
            workers=settings.INGEST_WORKERS,
            without_metadata=upload.without_metadata,
            frames=upload.frames,
        )
    except Exception as error:
        upload.batch = batch_of(upload)
        fail(upload, f"the ingest failed: {error}")
        raise
    storage.remove(upload)
    upload.batch = batch
    upload.state = Upload.State.DONE
    upload.save(update_fields=["batch", "state", "changed"])
    return upload.state


def batch_of(upload: Upload) -> IngestBatch | None:
    """The upload's ingest batch, also while it runs (found by its source label)."""
    if upload.batch_id:
        return upload.batch
    return (
        IngestBatch.objects.filter(image_set_id=upload.image_set_id, source=batch_label(upload))
        .order_by("-started")
        .first()
    )


def expire_abandoned_uploads(now: datetime | None = None) -> int:
    """Remove uploads idle past their expiry (staged bytes, S3 parts); for the scheduler."""
    now = now or timezone.now()
    expired = 0
    for upload in Upload.objects.filter(state__in=OPEN_STATES, expires__lt=now):
        with transaction.atomic():
            locked = Upload.objects.select_for_update(skip_locked=True).filter(
                pk=upload.pk, state__in=OPEN_STATES, expires__lt=now
            )
            row = locked.first()
            if row is None:
                continue
            storage.remove(row)
            row.state = Upload.State.EXPIRED
            row.save(update_fields=["state", "changed"])
            expired += 1
    return expired
