"""Image rows written by an ingest: the batch of stored files, then sidecar metadata.

These are internal steps of `catalogue.services.ingest.ingest`, which has already
checked that the actor may edit the set; so they take no actor, and nothing but
the ingest pipeline (catalogue/ingest/pipeline.py) should call them.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from catalogue import signals
from catalogue.ingest.matching import NameIndex, folder_of
from catalogue.ingest.sidecars import ImageMetadata, Sidecar
from catalogue.models import Image, ImageSet
from catalogue.search import outbox
from catalogue.services.coverage import apply_set_metadata


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
    """Apply one sidecar to images the set holds (`write_sidecar`), matching its names
    as catalogue.ingest.matching does. `images` are the set's images, updated in place.
    Returns the sidecar's warnings and those of names that match no image. No actor:
    an internal step of an ingest whose access was already checked.
    """
    warnings = [f"{sidecar.format}: {warning}" for warning in sidecar.warnings]
    by_name = {image.file_name: image for image in images}
    index = NameIndex(by_name)
    folder = folder_of(sidecar.name)
    existing: list[tuple[Image, ImageMetadata]] = []
    for file_name, metadata in sidecar.images.items():
        matches = index.find(file_name, folder)
        if not matches:
            warnings.append(f"{sidecar.format}: no image named {file_name!r} in this set")
        existing += [(by_name[name], metadata) for name in matches]
    write_sidecar(image_set, sidecar, new=[], existing=existing)
    return warnings


def write_sidecar(
    image_set: ImageSet,
    sidecar: Sidecar,
    *,
    new: list[tuple[dict[str, Any], ImageMetadata]],
    existing: list[tuple[Image, ImageMetadata]],
) -> tuple[list[Image], list[Image]]:
    """Apply one sidecar in one transaction: insert its new images (row values from the
    ingest) with its metadata, correct the images already in the set that it describes
    (their revision bumped, queued for indexing), hand every annotation to whoever stores
    them (catalogue.signals.annotations_found) and fill the set's empty fields from its
    header (catalogue.services.coverage).

    Returns (the inserted images, the corrected ones). IngestError when the annotations
    or the header are refused, IntegrityError when a new image's content is already in
    the set: either way nothing of the sidecar stays. No actor: an internal step of an
    ingest whose access was already checked.
    """
    with transaction.atomic():
        apply_set_metadata(image_set, sidecar.set_metadata.fields)
        rows: dict[int, Image] = {}
        for row, metadata in new:
            image = rows.setdefault(id(row), Image(**row))
            apply_image_metadata(image, metadata)
        inserted = Image.objects.bulk_create(list(rows.values()))
        by_row = dict(zip(rows, inserted, strict=True))
        corrected: dict[int, Image] = {}
        for image, metadata in existing:
            apply_image_metadata(image, metadata)
            if image.pk not in corrected:
                image.revision += 1
            corrected[image.pk] = image
        Image.objects.bulk_update(
            corrected.values(),
            ["captured_at", "latitude", "longitude", "depth", "fields", "revision"],
        )
        outbox.record("image", [image.pk for image in [*inserted, *corrected.values()]])
        found: dict[int, tuple[Image, list]] = {}
        pairs = [(by_row[id(row)], metadata) for row, metadata in new] + existing
        for image, metadata in pairs:
            if metadata.annotations:
                found.setdefault(image.pk, (image, []))[1].extend(metadata.annotations)
        if found:
            signals.annotations_found.send(
                sender=ImageSet,
                image_set=image_set,
                sidecar=sidecar.name,
                found=list(found.values()),
                corrected=list(corrected),
            )
    return inserted, list(corrected.values())


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
