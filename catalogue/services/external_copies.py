"""Copies of an external set's files into our storage, on request only.

An external image links to its source's files; a curator (staff, or the set's
curators: catalogue/access.py) may ask for copies of a set's originals, all of them
or some. A worker fetches each (catalogue/harvest/files.py: limits, the source's own
site), stores it through the ingest (content sniffing, decompression-bomb limit,
thumbnails; catalogue/ingest/storing.py), checks its sha256 against the source's and
only then points the image at it: our file URLs serve it from then on. A file that
fails is reported with its image and reason; the others go on; a refused file
leaves nothing stored.

Progress and report: an IngestBatch of the set (`source` names the copy): `total`
images asked for, `added` copied, `updated` the copied images ({"name", "image_id"}),
`rejected` the failed ones ({"name", "image_id", "reason"}), `warnings` those already
copied."""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalogue import access
from catalogue.errors import FieldError, WrongState
from catalogue.harvest import files, tokens
from catalogue.ingest.errors import IngestError
from catalogue.ingest.outcomes import discard
from catalogue.ingest.storing import SetContext, delete_stored, storage_prefix, store_candidate
from catalogue.models import Image, ImageSet, IngestBatch
from catalogue.search import outbox

logger = logging.getLogger(__name__)

COPY_TASK = "catalogue.copy_external_files"
COPY_SOURCE = "copy of the source's files"


def copying(image_set: ImageSet) -> IngestBatch | None:
    """The copy of the set's files now running, if any."""
    return image_set.ingests.filter(
        source__startswith=COPY_SOURCE, status=IngestBatch.Status.RUNNING
    ).first()


def copies_of(image_set: ImageSet):
    return image_set.ingests.filter(source__startswith=COPY_SOURCE)


def chosen_images(image_set: ImageSet, image_ids: list[int] | None) -> list[int]:
    """The external images to copy: those named (every one must be an external image
    of the set; all others named at once), else all of the set's."""
    external = image_set.images.exclude(remote={})
    if image_ids is None:
        return list(external.order_by("pk").values_list("pk", flat=True))
    wanted = sorted(set(image_ids))
    found = set(external.filter(pk__in=wanted).values_list("pk", flat=True))
    strangers = [pk for pk in wanted if pk not in found]
    if strangers:
        raise FieldError(
            "images",
            "not external images of this set: " + ", ".join(str(pk) for pk in strangers),
        )
    if not wanted:
        raise FieldError("images", "name at least one image, or leave it out for all")
    return wanted


@transaction.atomic
def request_copy(image_set: ImageSet, *, actor, image_ids: list[int] | None = None) -> IngestBatch:
    """Ask a worker to copy the set's files (or those of `image_ids`) here; the batch
    that shows its progress. Refused (NotVisible, NotAllowed, WrongState, FieldError)
    with nothing queued."""
    image_set = ImageSet.objects.select_for_update().get(pk=image_set.pk)
    access.require_copy_external_files(actor, image_set)
    if image_set.remote_deleted is not None:
        raise WrongState("The source deleted or closed this set: there is nothing to copy.")
    if copying(image_set) is not None:
        raise WrongState("A copy of this set's files is running; wait for its report.")
    ids = chosen_images(image_set, image_ids)
    if not ids:
        raise WrongState("This set has no external images (its source lists no files).")
    source = image_set.harvest_source
    batch = IngestBatch.objects.create(
        image_set=image_set,
        source=f"{COPY_SOURCE} ({source.name if source else ''})",
        total=len(ids),
    )
    # Copies are ingests of files from elsewhere: they go where uploads are ingested.
    queue = settings.UPLOAD_QUEUE or None
    transaction.on_commit(
        lambda: current_app.send_task(COPY_TASK, args=[batch.pk, ids], queue=queue)
    )
    return batch


def copy_files(batch_id: int, image_ids: list[int]) -> IngestBatch:
    """The worker's part: every image's file, one after the other, the batch saved
    after each. A redelivered task skips the images already copied."""
    batch = IngestBatch.objects.select_related("image_set__harvest_source").get(pk=batch_id)
    image_set = batch.image_set
    source = image_set.harvest_source
    if source is None:  # the copy was asked of an external set (request_copy)
        raise ValueError(f"set {image_set.pk} is not an external set")
    context = SetContext(set_id=image_set.pk, prefix=storage_prefix(image_set), known={})
    try:
        with tokens.session_for(source) as session:
            for image in image_set.images.filter(pk__in=image_ids).order_by("pk"):
                if image.storage_key:
                    batch.warnings.append(note(image, "already copied"))
                else:
                    copy_one(batch, session, source, context, image)
                batch.save(update_fields=["added", "updated", "rejected", "warnings"])
        batch.status = IngestBatch.Status.DONE
    except BaseException:
        batch.status = IngestBatch.Status.FAILED
        raise
    finally:
        batch.finished = timezone.now()
        batch.save(update_fields=["status", "finished", "added", "updated", "rejected", "warnings"])
    return batch


def note(image: Image, reason: str = "") -> dict:
    found = {"name": image.file_name, "image_id": image.pk}
    return {**found, "reason": reason} if reason else found


def copy_one(batch: IngestBatch, session, source, context: SetContext, image: Image) -> None:
    """One file: fetched, stored, checked, then the image points at it; or a reason."""
    try:
        candidate = files.fetch(session, source, image)
    except files.Refused as refused:
        batch.rejected.append(note(image, str(refused)))
        return
    try:
        outcome = store_candidate(context, candidate)
    except IngestError as error:
        batch.rejected.append(note(image, error.reason))
        return
    except Exception as error:  # a bug must not stop the others; logged and reported
        logger.exception("copy of image %s failed", image.pk)
        batch.rejected.append(note(image, f"internal error: {type(error).__name__}"))
        return
    finally:
        discard(candidate)
    try:
        reason = point_at_copy(image, outcome.row or {}, outcome.sha256)
    except BaseException:
        delete_stored(outcome.stored)  # nothing stored without its image pointing at it
        raise
    if reason:
        delete_stored(outcome.stored)
        batch.rejected.append(note(image, reason))
        return
    batch.added += 1
    batch.updated.append(note(image))


def point_at_copy(image: Image, row: dict, sha256: str) -> str:
    """Point the image at its stored copy; the reason when it may not (then the caller
    deletes the copy)."""
    if sha256 != image.sha256:
        return f"the file's sha256 {sha256} differs from the source's {image.sha256}"
    with transaction.atomic():
        changed = Image.objects.filter(pk=image.pk, sha256=sha256, storage_key="").update(
            storage_key=row["storage_key"],
            thumbnail_small=row.get("thumbnail_small", ""),
            thumbnail_medium=row.get("thumbnail_medium", ""),
            crc32=row.get("crc32"),
            remote={**image.remote, "copied": timezone.now().isoformat()},
            revision=F("revision") + 1,
        )
        if changed:
            outbox.record("image", [image.pk])
    return "" if changed else "the image changed at the source (or was copied) meanwhile"
