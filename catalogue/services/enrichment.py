"""Writes of model outputs onto catalogue rows: predictions on images and the
note that a set's model summaries changed.

The inference app computes; the catalogue owns its rows, so inference writes
them only through these functions. They take no actor: they are called by
inference workers for a job whose access was checked when the job was created.
Predictions are derived data shown apart from the curated record, so they are
written on published sets too (a published set's curated fields stay frozen).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import F

from catalogue.models import Image, ImageSet
from catalogue.search import outbox
from catalogue.services import revisions


@transaction.atomic
def record_predictions(
    model: str, version: str, entries: Mapping[int, list[dict]]
) -> dict[int, list[dict]]:
    """Put one model version's predictions on images: `entries` maps an image id to
    its new `fields["predictions"]` entries (each naming `model` and `version`).

    On each image the model's previous entries are replaced (other models' entries
    stay), its revision is bumped and its search document queued. An image that
    already carries this version is left alone, so a repeated call changes
    nothing. Returns, per image changed, the model's entries it replaced (empty
    when the model had none there)."""
    replaced: dict[int, list[dict]] = {}
    images = Image.objects.select_for_update().filter(pk__in=list(entries)).order_by("pk")
    for image in images:
        fields = dict(image.fields or {})
        current = [e for e in fields.get("predictions") or [] if isinstance(e, dict)]
        previous = [e for e in current if e.get("model") == model]
        if any(e.get("version") == version for e in previous):
            continue
        others = [e for e in current if e.get("model") != model]
        fields["predictions"] = others + list(entries[image.pk])
        image.fields = fields
        image.revision = F("revision") + 1
        image.save(update_fields=["fields", "revision"])
        replaced[image.pk] = previous
    outbox.record("image", replaced)
    return replaced


def record_set_summaries(image_set_ids: Iterable[int]) -> None:
    """Note that model summaries of these sets changed: bump each set's revision
    and queue its search document."""
    for image_set_id in image_set_ids:
        revisions.set_changed(ImageSet(pk=image_set_id))
