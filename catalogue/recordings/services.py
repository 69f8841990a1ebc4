"""Recording rows written by an ingest: a recording with its derived images, together.

An internal step of `catalogue.services.ingest.ingest`, which has already checked
that the actor may edit the set (as catalogue.services.images); so it takes no
actor, and only the ingest's writer (catalogue/ingest/writing.py) calls it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from catalogue.ingest.outcomes import Outcome
from catalogue.models import Image, ImageSet, Recording
from catalogue.recordings.storing import RECORDING, delete_keys
from catalogue.search import outbox


def write_recordings(outcomes: list[Outcome]) -> list[Outcome]:
    """Write the stored recordings of a batch in one transaction (one commit, one
    indexing trigger), each in a savepoint of its own; the outcome of each."""
    if not outcomes:
        return []
    with transaction.atomic():
        return [write_recording(outcome) for outcome in outcomes]


def write_recording(outcome: Outcome) -> Outcome:
    """Write a stored recording and its images in one transaction; the file's outcome.

    A recording the set already holds (same sha256) is a duplicate. A derived image
    the set already holds (another recording of the same sound, a still scene) is
    left out and counted; one that another batch writes meanwhile refuses the whole
    recording. Whatever is not written is deleted: nothing of it stays half-made.
    """
    payload = outcome.row or {}
    fields, rows = payload[RECORDING], payload["images"]
    same = (
        Recording.objects.filter(image_set_id=fields["image_set_id"], sha256=outcome.sha256)
        .values_list("file_name", flat=True)
        .first()
    )
    if same is not None:
        delete_keys(outcome.stored)
        return Outcome(outcome.name, "duplicate", sha256=outcome.sha256, same_as=same)
    rows = without_held(fields["image_set_id"], rows, fields["derivation"])
    try:
        with transaction.atomic():
            recording = Recording.objects.create(**fields)
            images = Image.objects.bulk_create([Image(**row, recording=recording) for row in rows])
            outbox.record("image", [image.pk for image in images])
    except IntegrityError:
        delete_keys(outcome.stored)
        return Outcome(
            outcome.name,
            "rejected",
            "an image derived from it was written into the set by another ingest meanwhile; "
            "send it again",
            sha256=outcome.sha256,
        )
    first = images[0].pk if images else None
    return Outcome(outcome.name, "added", sha256=outcome.sha256, image_id=first)


def without_held(set_id: int, rows: list[dict], derivation: dict) -> list[dict]:
    """The derived images whose content the set does not hold yet; the others' files
    deleted (stored under keys of their own: storage never overwrites) and counted."""
    held = set(
        Image.objects.filter(
            image_set_id=set_id, sha256__in=[row["sha256"] for row in rows]
        ).values_list("sha256", flat=True)
    )
    if not held:
        return rows
    for row in rows:
        if row["sha256"] in held:
            delete_keys([row["storage_key"], row["thumbnail_small"], row["thumbnail_medium"]])
    derivation["identical_skipped"] = derivation.get("identical_skipped", 0) + sum(
        row["sha256"] in held for row in rows
    )
    return [row for row in rows if row["sha256"] not in held]


def copy_recordings(image_set: ImageSet, draft: ImageSet) -> dict[int, int]:
    """The recordings of a set copied into the draft of its next version, naming the
    same stored files (as its images do); {old id: new id}. No actor: a step of
    catalogue.services.versions.new_version, which checked access."""
    sources = list(image_set.recordings.order_by("pk"))
    copies = Recording.objects.bulk_create(
        [
            Recording(
                **{
                    field.attname: getattr(source, field.attname)
                    for field in Recording._meta.concrete_fields
                    if field.name not in {"id", "image_set", "created"}
                },
                image_set=draft,
            )
            for source in sources
        ]
    )
    return {source.pk: copy.pk for source, copy in zip(sources, copies, strict=True)}
