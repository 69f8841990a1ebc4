"""Reads of uploads: only their owner finds them; anyone else gets Upload.DoesNotExist."""

from __future__ import annotations

import uuid as uuid_module
from datetime import timedelta

from django.utils import timezone

from catalogue import access
from catalogue.models import ImageSet, IngestBatch
from catalogue.uploads import services
from catalogue.uploads.models import Upload


def own_upload(actor, upload_id) -> Upload:
    """The caller's upload with this id; another user's, or none, is unknown alike."""
    if not access.signed_in(actor):
        raise Upload.DoesNotExist
    try:
        key = uuid_module.UUID(str(upload_id))
    except ValueError:
        raise Upload.DoesNotExist from None
    return Upload.objects.select_related("image_set").get(uuid=key, owner=actor)


def progress(upload: Upload) -> tuple[dict, IngestBatch | None]:
    """Files done of those expected, and the counts so far, from the ingest batch."""
    batch = services.batch_of(upload)
    counts = {
        "bytes_received": upload.received,
        "bytes_total": upload.size,
        "files_done": batch.total if batch else 0,
        "files_total": upload.files_expected,
        "added": batch.added if batch else 0,
        "updated": len(batch.updated) if batch else 0,
        "duplicates": len(batch.duplicates) if batch else 0,
        "rejected": len(batch.rejected) if batch else 0,
    }
    return counts, batch


def worker_uploads(actor, image_set: ImageSet, *, hours: int = 24) -> list[dict]:
    """The caller's uploads of the set handed to the worker lately, with their progress."""
    if not access.signed_in(actor):
        return []
    since = timezone.now() - timedelta(hours=hours)
    uploads = Upload.objects.filter(owner=actor, image_set=image_set, changed__gte=since).exclude(
        state__in=(Upload.State.UPLOADING, Upload.State.CANCELLED)
    )
    rows = []
    for upload in uploads.order_by("-created")[:20]:
        counts, batch = progress(upload)
        rows.append({"upload": upload, "progress": counts, "batch": batch})
    return rows


def unfinished_uploads(actor, image_set: ImageSet) -> list[Upload]:
    """The caller's uploads of the set still waiting for bytes (to resume or cancel)."""
    if not access.signed_in(actor):
        return []
    uploads = Upload.objects.filter(owner=actor, image_set=image_set, state=Upload.State.UPLOADING)
    return list(uploads.order_by("-created")[:20])
