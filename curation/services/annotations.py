"""Writes to annotations one at a time (the editor, the API): create, change,
delete. Each checks the actor may annotate the image's set (catalogue.access),
that the label belongs to the set's label set and that the geometry fits the
image, reporting every problem at once; each write records a review event.

Bulk review lives in curation/services/review.py, predictions in
curation/services/predictions.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalogue import access
from catalogue.access import Action
from catalogue.errors import Changed
from catalogue.models import Image, ImageSet
from catalogue.search import outbox
from curation import geometry
from curation.models import Annotation, Label, Labelling, ReviewEvent, Shape, Status

# Statuses a person may give an annotation they draw (predictions come from models).
PERSON_STATUSES = {Status.VALIDATED, Status.DUBIOUS}


def snapshot(annotation: Annotation) -> dict:
    """What a review event keeps of an annotation (its `before` / `after`)."""
    return {
        "label": annotation.label_id,
        "label_name": annotation.label.name,
        "status": annotation.status,
        "shape": annotation.shape,
        "coordinates": annotation.coordinates,
        "confidence": annotation.confidence,
        "revision": annotation.revision,
    }


def actor_or_none(actor):
    """The user to record as actor (None for the portal itself)."""
    return actor if access.signed_in(actor) and actor.pk is not None else None


def label_set_of(image_set: ImageSet):
    labelling = Labelling.objects.filter(image_set=image_set).select_related("label_set").first()
    return labelling.label_set if labelling else None


def label_problems(image_set: ImageSet, label: Label | None) -> list[str]:
    """Why `label` may not be put on an image of `image_set` (empty: it may)."""
    if label is None:
        return ["unknown label"]
    used = label_set_of(image_set)
    if used is not None and label.label_set_id != used.pk:
        return [
            f"label {label.name!r} is from the label set {label.label_set}, but this set's "
            f"annotations use {used}"
        ]
    if label.retired:
        return [f"label {label.name!r} is retired; use the label that replaced it"]
    return []


def use_label_set_of(image_set: ImageSet, label: Label) -> None:
    """The first annotation of a set chooses its label set."""
    Labelling.objects.get_or_create(image_set=image_set, defaults={"label_set": label.label_set})


@transaction.atomic
def create_annotation(
    *,
    actor,
    image: Image,
    label: Label | None,
    shape: str = Shape.WHOLE,
    coordinates=None,
    status: str = Status.VALIDATED,
    confidence: float | None = None,
) -> Annotation:
    """A person's annotation of `image` (validated unless they say dubious)."""
    image_set = ImageSet.objects.get(pk=image.image_set_id)
    access.require(actor, Action.ANNOTATE, image_set)
    coordinates = [] if coordinates is None else coordinates
    problems: dict[str, list[str]] = {}
    if label_errors := label_problems(image_set, label):
        problems["label"] = label_errors
    if geometry_errors := geometry.check(shape, coordinates, image.width, image.height):
        problems["geometry"] = geometry_errors
    if status not in PERSON_STATUSES:
        problems["status"] = ["a new annotation is validated or dubious"]
    if confidence is not None and not 0 <= confidence <= 1:
        problems["confidence"] = ["a confidence lies between 0 and 1"]
    if problems:
        raise ValidationError(problems)
    assert label is not None
    use_label_set_of(image_set, label)
    now = timezone.now()
    user = actor_or_none(actor)
    annotation = Annotation.objects.create(
        image=image,
        label=label,
        shape=shape,
        coordinates=coordinates,
        status=status,
        confidence=confidence,
        created_by=user,
        annotator=user.get_username() if user else "",
        reviewed_by=user,
        reviewed_at=now,
        created=now,
        updated=now,
    )
    ReviewEvent.objects.create(
        annotation=annotation,
        annotation_uuid=annotation.uuid,
        image=image,
        action=ReviewEvent.Action.CREATE,
        actor=user,
        after=snapshot(annotation),
        at=now,
    )
    outbox.record("image", [image.pk])
    outbox.record("set", [image_set.pk])
    return annotation


def locked(annotation: Annotation, revision: int | None) -> tuple[Annotation, ImageSet]:
    """The annotation, locked, after checking nobody changed it since `revision`."""
    current = (
        Annotation.objects.select_for_update()
        .select_related("label", "image")
        .get(pk=annotation.pk)
    )
    image_set = ImageSet.objects.get(pk=current.image.image_set_id)
    if revision is not None and current.revision != revision:
        raise Changed(
            f"Annotation {current.uuid} changed meanwhile (now revision {current.revision}, "
            f"not {revision}).",
            [{"id": current.pk, **snapshot(current)}],
        )
    return current, image_set


@transaction.atomic
def change_annotation(
    *,
    actor,
    annotation: Annotation,
    revision: int | None = None,
    label: Label | None = None,
    shape: str | None = None,
    coordinates=None,
) -> Annotation:
    """Move, reshape or relabel an annotation; a person's change validates it."""
    current, image_set = locked(annotation, revision)
    access.require(actor, Action.ANNOTATE, image_set)
    new_shape = shape if shape is not None else current.shape
    new_coordinates = coordinates if coordinates is not None else current.coordinates
    problems: dict[str, list[str]] = {}
    if label is not None and (label_errors := label_problems(image_set, label)):
        problems["label"] = label_errors
    if shape is not None or coordinates is not None:
        image = current.image
        if errors := geometry.check(new_shape, new_coordinates, image.width, image.height):
            problems["geometry"] = errors
    if problems:
        raise ValidationError(problems)
    before = snapshot(current)
    user = actor_or_none(actor)
    now = timezone.now()
    if label is not None:
        current.label = label
    current.shape, current.coordinates = new_shape, new_coordinates
    current.status = Status.VALIDATED
    current.reviewed_by, current.reviewed_at, current.updated = user, now, now
    current.revision = F("revision") + 1
    current.save()
    current.refresh_from_db()
    after = snapshot(current)
    if {**before, "revision": 0} != {**after, "revision": 0}:
        ReviewEvent.objects.create(
            annotation=current,
            annotation_uuid=current.uuid,
            image_id=current.image_id,
            action=ReviewEvent.Action.CHANGE,
            actor=user,
            before=before,
            after=after,
            at=now,
        )
    outbox.record("image", [current.image_id])
    outbox.record("set", [image_set.pk])
    return current


@transaction.atomic
def delete_annotation(*, actor, annotation: Annotation, revision: int | None = None) -> None:
    """Remove an annotation; its history stays with the image."""
    current, image_set = locked(annotation, revision)
    access.require(actor, Action.ANNOTATE, image_set)
    ReviewEvent.objects.create(
        annotation=None,
        annotation_uuid=current.uuid,
        image_id=current.image_id,
        action=ReviewEvent.Action.DELETE,
        actor=actor_or_none(actor),
        before=snapshot(current),
    )
    ReviewEvent.objects.filter(annotation=current).update(annotation=None)
    image_id = current.image_id
    current.delete()
    outbox.record("image", [image_id])
    outbox.record("set", [image_set.pk])
