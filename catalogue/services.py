"""Writes to the catalogue: every change goes through a function here."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from catalogue.ingest import sources as ingest_sources
from catalogue.ingest.pipeline import ProgressCallback, refresh_coverage, run_ingest
from catalogue.models import COVERAGE_PARTS, ImageSet, IngestBatch

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
    return image_set


@transaction.atomic
def update_image_set(image_set: ImageSet, **fields) -> ImageSet:
    """Change fields of a set; coverage a curator states is no longer derived."""
    derived = set(image_set.derived_coverage)
    for name, value in fields.items():
        setattr(image_set, name, value)
    for part in COVERAGE_PARTS:
        if any(name in fields for name in COVERAGE_FIELDS[part]):
            derived.discard(part)
    image_set.derived_coverage = sorted(derived)
    image_set.revision += 1
    image_set.full_clean()
    image_set.save()
    refresh_coverage(image_set)
    return image_set


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
