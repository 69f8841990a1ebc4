"""Writes of the images of external sets (an AquaCat source's): rows linking to the
remote's files, never a stored file here. Only a harvest writes them."""

from __future__ import annotations

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField
from django.utils import timezone
from psycopg.types.json import Jsonb

from catalogue.ingest.storing import delete_stored
from catalogue.models import Image, ImageSet
from catalogue.search import outbox

# What a harvest may change of an external image (catalogue/harvest/aquacat_mapping.py).
FIELDS = (
    "file_name",
    "sha256",
    "size",
    "media_type",
    "width",
    "height",
    "frames",
    "mode",
    "captured_at",
    "latitude",
    "longitude",
    "depth",
    "remote",
    # A copy of the file here (catalogue/services/external_copies.py): kept while the
    # source's file stays the same, dropped when it changes.
    "storage_key",
    "thumbnail_small",
    "thumbnail_medium",
)
COPY_FIELDS = ("storage_key", "thumbnail_small", "thumbnail_medium")
BATCH = 1000


def store_images(image_set: ImageSet, images: list[dict]) -> int:
    """Make the set's images those given (Image fields, by remote id): new ones
    created, changed ones updated (revision bumped), the others deleted, in bulk;
    how many were created or changed. The caller queues the set's image documents;
    deleted images are queued here."""
    existing = {image.remote.get("id"): image for image in image_set.images.all()}
    new: list[dict] = []
    changed: list[Image] = []
    stale: list[str] = []  # stored keys of copies the source's changes made wrong
    for fields in images:
        image = existing.pop(fields["remote"]["id"], None)
        if image is None:
            new.append(fields)
            continue
        fields = with_copy(image, fields, stale)
        if any(getattr(image, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(image, name, value)
            image.revision += 1
            changed.append(image)
    gone = [image.pk for image in existing.values()]
    stale += [key for image in existing.values() for key in copied_keys(image)]
    if stale:
        transaction.on_commit(lambda: delete_stored(stale))
    if gone:
        Image.objects.filter(pk__in=gone).delete()
        outbox.record("image", gone)
    if changed:
        Image.objects.bulk_update(changed, [*FIELDS, "revision"], batch_size=BATCH)
    if new:
        add_images([(image_set, new)])
    return len(new) + len(changed)


def copied_keys(image: Image) -> list[str]:
    return [key for key in (getattr(image, name) for name in COPY_FIELDS) if key]


def with_copy(image: Image, fields: dict, stale: list[str]) -> dict:
    """The harvested fields of an image with its copy here kept (the same file at the
    source), or dropped, its stored keys noted in `stale` (the source's file changed)."""
    if not image.storage_key:
        return fields
    if fields["sha256"] == image.sha256:
        kept = {name: getattr(image, name) for name in COPY_FIELDS}
        remote = {**fields["remote"], "copied": image.remote.get("copied")}
        return {**fields, **kept, "remote": remote}
    stale += copied_keys(image)
    return {**fields, **dict.fromkeys(COPY_FIELDS, "")}


def add_images(sets: list[tuple[ImageSet, list[dict]]]) -> None:
    """New images of these sets, all at once."""
    if connection.vendor != "postgresql":
        Image.objects.bulk_create(
            [Image(image_set=s, **fields) for s, images in sets for fields in images]
        )
    elif any(images for _, images in sets):
        copy_in(sets)


def copy_in(sets: list[tuple[ImageSet, list[dict]]]) -> None:
    """New rows through PostgreSQL's COPY: an order of magnitude less work per row
    than building model instances and an INSERT (the harvest's largest write). A
    refusal is the database's IntegrityError, as from any other write."""
    columns = [f for f in Image._meta.concrete_fields if not f.primary_key]
    attnames = [f.attname for f in columns]
    json_columns = {f.attname for f in columns if isinstance(f, JSONField)}
    fixed = {f.attname: f.get_default() for f in columns} | {"created": timezone.now()}
    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    statement = f"COPY {connection.ops.quote_name(Image._meta.db_table)} ({names}) FROM STDIN"
    try:
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for image_set, images in sets:
                for fields in images:
                    row = {**fixed, "image_set_id": image_set.pk, **fields}
                    copy.write_row(
                        [
                            Jsonb(row[name]) if name in json_columns else row[name]
                            for name in attnames
                        ]
                    )
    except (psycopg.IntegrityError, psycopg.DataError) as refused:
        raise IntegrityError(str(refused)) from refused
