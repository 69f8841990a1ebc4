"""Writes to the catalogue: every change goes through a function here."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from catalogue.ingest import sources as ingest_sources
from catalogue.ingest.pipeline import ProgressCallback, refresh_coverage, run_ingest
from catalogue.models import COVERAGE_PARTS, ImageSet, IngestBatch
from catalogue.oai import records as oai_records
from catalogue.search import outbox

COVERAGE_FIELDS = {
    "bbox": ("west", "south", "east", "north"),
    "time": ("time_start", "time_end"),
    "depth": ("depth_min", "depth_max"),
}


@transaction.atomic
def create_image_set(*, owner=None, curators: Iterable = (), **fields) -> ImageSet:
    """A new set (a draft unless `state` says otherwise), validated field by field."""
    image_set = ImageSet(owner=owner, **fields)
    image_set.full_clean()
    image_set.save()
    if curators:
        image_set.curators.set(curators)
    outbox.record("set", [image_set.pk])
    return image_set


@transaction.atomic
def update_image_set(image_set: ImageSet, **fields) -> ImageSet:
    """Change fields of a set; coverage a curator states is no longer derived."""
    derived = set(image_set.derived_coverage)
    was_public = image_set.is_public()
    for name, value in fields.items():
        setattr(image_set, name, value)
    for part in COVERAGE_PARTS:
        if any(name in fields for name in COVERAGE_FIELDS[part]):
            derived.discard(part)
    image_set.derived_coverage = sorted(derived)
    image_set.full_clean()
    image_set.save()
    refresh_coverage(image_set)
    oai_records.after_change(image_set, was_public)
    # Images carry their set's fields (access, instrument, ...): reindex them too.
    outbox.set_changed(image_set, with_images=True)
    return image_set


@transaction.atomic
def set_curators(image_set: ImageSet, curators: Iterable) -> None:
    image_set.curators.set(curators)
    outbox.set_changed(image_set, with_images=True)


@transaction.atomic
def delete_image_set(image_set: ImageSet) -> None:
    """Delete a draft set, its images' rows and (after commit) their files."""
    from django.core.exceptions import ValidationError
    from django.core.files.storage import default_storage

    from catalogue.ingest.pipeline import storage_prefix

    if image_set.state == "published":
        raise ValidationError({"state": "a published set is immutable and cannot be deleted"})
    image_ids = list(image_set.images.values_list("pk", flat=True))
    keys = [
        key
        for row in image_set.images.values_list(
            "storage_key", "thumbnail_small", "thumbnail_medium"
        )
        for key in row
        if key
    ]
    outbox.record("image", image_ids)
    outbox.record("set", [image_set.pk])
    if image_set.is_public():
        # Harvesters have it: they learn of the deletion from a tombstone.
        oai_records.bury(image_set)
    image_set.delete()
    prefix = storage_prefix(image_set)

    def delete_files():
        for key in keys:
            if key.startswith(prefix):
                default_storage.delete(key)

    transaction.on_commit(delete_files)


def ingest(
    image_set: ImageSet,
    sources: Iterable,
    *,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> IngestBatch:
    """Ingest files into a set from any mix of sources, reporting per file.

    A source is an `s3://bucket/prefix` URL, a server-side folder or file path,
    or a list of uploaded files; archives and sidecars among them are opened.
    """
    sources = list(sources)
    label = "; ".join(ingest_sources.source_label(source) for source in sources)
    return run_ingest(
        image_set,
        [ingest_sources.resolve(source) for source in sources],
        label=label,
        workers=workers or settings.INGEST_WORKERS,
        on_progress=on_progress,
    )
