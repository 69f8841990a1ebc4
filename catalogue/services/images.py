"""Image rows written by an ingest: the batch of stored files, then sidecar metadata.

These are internal steps of `catalogue.services.ingest.ingest`, which has already
checked that the actor may edit the set; so they take no actor, and nothing but
the ingest pipeline (catalogue/ingest/pipeline.py) should call them.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from catalogue import signals
from catalogue.ingest.sidecars import ImageMetadata, Sidecar
from catalogue.models import Image, ImageSet
from catalogue.search import outbox


def add_images(rows: list[dict[str, Any]]) -> list[Image]:
    """Insert image rows (Image field values) in one transaction, queued for indexing.

    No actor: an internal step of an ingest whose access was already checked.
    Raises IntegrityError, with nothing written, when a row's content (sha256) is
    already in its set.
    """
    with transaction.atomic():
        images = Image.objects.bulk_create([Image(**row) for row in rows])
        outbox.record("image", [image.pk for image in images])
    return images


def add_image(row: dict[str, Any]) -> Image:
    """Insert one image row, queued for indexing; IntegrityError when its content is taken.

    No actor: an internal step of an ingest whose access was already checked.
    """
    with transaction.atomic():
        image = Image.objects.create(**row)
        outbox.record("image", [image.pk])
    return image


def apply_sidecars(image_set: ImageSet, found: list[Sidecar]) -> list[str]:
    """Apply sidecars in order (see `apply_sidecar`); IngestError when one is refused."""
    images = list(image_set.images.all()) if found else []
    return [warning for sidecar in found for warning in apply_sidecar(image_set, sidecar, images)]


def apply_sidecar(image_set: ImageSet, sidecar: Sidecar, images: list[Image]) -> list[str]:
    """Fill image fields from one sidecar, matching by path then by base name, and
    hand its annotations to whoever stores them (catalogue.signals.annotations_found).

    One transaction: when the annotations are refused (IngestError, naming every
    problem), nothing of the sidecar stays. `images` are the set's images, updated
    in place. Returns the sidecar's warnings and those of names that match no
    image. No actor: an internal step of an ingest whose access was already
    checked. The sidecar's set-level header is applied by catalogue.services.coverage.
    """
    warnings = [f"{sidecar.format}: {warning}" for warning in sidecar.warnings]
    by_name = {image.file_name: image for image in images}
    by_base: dict[str, list[Image]] = {}
    for image in images:
        by_base.setdefault(PurePosixPath(image.file_name).name, []).append(image)
    changed: dict[int, Image] = {}
    found: list[tuple[Image, list]] = []
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
            if metadata.annotations:
                found.append((image, metadata.annotations))
    with transaction.atomic():
        Image.objects.bulk_update(
            changed.values(),
            ["captured_at", "latitude", "longitude", "depth", "fields", "revision"],
        )
        outbox.record("image", list(changed))
        if found:
            signals.annotations_found.send(
                sender=ImageSet, image_set=image_set, sidecar=sidecar.name, found=found
            )
    return warnings


def apply_image_metadata(image: Image, metadata: ImageMetadata) -> None:
    """Set what the sidecar states on the (unsaved) image; what it leaves out is kept."""
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


def json_safe(value: Any) -> Any:
    """Sidecar values as JSON (dates and times as ISO 8601 strings)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
