"""Files into a set: every source (uploads, folders, archives, S3) takes the one
ingest pipeline (catalogue/ingest/), after the access check."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from catalogue import access
from catalogue.access import Action
from catalogue.ingest import pipeline
from catalogue.ingest import sources as ingest_sources
from catalogue.models import ImageSet, IngestBatch


def ingest(
    image_set: ImageSet,
    sources: Iterable,
    *,
    actor,
    workers: int | None = None,
    on_progress: pipeline.ProgressCallback | None = None,
    without_metadata: bool = False,
    frames: dict | None = None,
) -> IngestBatch:
    """Ingest files into a draft set from any mix of sources, reporting per file.

    A source is an `s3://bucket/prefix` URL, a server-side folder or file path,
    or a list of uploaded files; archives and sidecars among them are opened. A
    sidecar with problems is refused with every problem named, and the images it
    describes are left out, unless `without_metadata` asks for them without it.
    Images the set holds, sent again with a sidecar, are corrected by it. `frames`:
    the frame sampling chosen for its videos (catalogue.recordings.frames.chosen_sampling).
    """
    access.require(actor, Action.EDIT, image_set)
    sources = list(sources)
    label = "; ".join(ingest_sources.source_label(source) for source in sources)
    return pipeline.run_ingest(
        image_set,
        [ingest_sources.resolve(source) for source in sources],
        label=label,
        workers=workers or settings.INGEST_WORKERS,
        on_progress=on_progress,
        without_metadata=without_metadata,
        frames=frames,
    )
