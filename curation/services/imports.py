"""Annotations that come with a set's files (EcoTaxa TSV, iFDO, COCO sidecars) into
annotation rows, inside the ingest's transaction (catalogue.signals.annotations_found).

The set's label set is made from the import's categories: one per image set, named
after it, extended by later imports while it is a draft. Every geometry is checked
against its image and every problem of a sidecar reported at once (IngestError,
naming the sidecar, the record and the reason); a refused sidecar stores nothing.
Importing the same annotations again adds nothing. No actor: the ingest checked
that its actor may edit the set; rows are recorded as the import's (annotator
named by the source, no user).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars import AnnotationRecord
from catalogue.ingest.sidecars.values import problems_text
from catalogue.models import Image, ImageSet
from catalogue.services.taxa import label_taxa
from curation import geometry
from curation.models import Annotation, Label, Labelling, LabelSet, ReviewEvent, Shape, Status
from curation.services.annotations import label_set_of, snapshot
from curation.services.labels import add_labels, create_label_set

IMPORTED_STATUSES = (Status.PREDICTED, Status.VALIDATED, Status.DUBIOUS)
# Label colours given in turn to imported categories (matplotlib's tab10).
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

Found = Iterable[tuple[Image, list[AnnotationRecord]]]


def import_annotations(
    *, image_set: ImageSet, sidecar: str, found: Found, corrected: Iterable[int] = ()
) -> list[Annotation]:
    """Store the records as annotations of their images; IngestError, with nothing
    stored, when any does not fit its image or its label cannot be used. On the
    `corrected` images (a corrected sidecar sent again), an earlier imported whole-image
    annotation nobody reviewed here takes the record's new label and status, with its
    history, instead of a second annotation being added beside it."""
    found = [(image, records) for image, records in found if records]
    problems = geometry_problems(found)
    names = sorted({record.label for _, records in found for record in records})
    labels = labels_for(image_set, names, problems) if names else {}
    if problems:
        raise IngestError(sidecar, problems_text(problems))
    done = correct(found, labels, set(corrected))
    return store([(i, [r for r in rs if id(r) not in done]) for i, rs in found], labels)


def correct(
    found: list[tuple[Image, list[AnnotationRecord]]], labels: dict[str, Label], corrected: set[int]
) -> set[int]:
    """Earlier imported annotations of corrected images changed to their records'
    label and status (a RELABEL or CHANGE event each); returns the records used."""
    found = [(image, records) for image, records in found if image.pk in corrected]
    if not found:
        return set()
    earlier: dict[int, list[Annotation]] = {}
    for annotation in Annotation.objects.filter(
        image__in=[image for image, _ in found],
        shape=Shape.WHOLE,
        created_by=None,
        model_version=None,
        reviewed_by=None,
    ).select_related("label"):
        earlier.setdefault(annotation.image_id, []).append(annotation)
    now = timezone.now()
    done: set[int] = set()
    for image, records in found:
        old = earlier.get(image.pk, [])
        old_keys = {annotation_key(annotation) for annotation in old}
        keyed = [(same_key(image.pk, labels[r.label].pk, *record_parts(r)), r) for r in records]
        new = [r for k, r in keyed if r.shape == "whole" and k not in old_keys]
        new_keys = {k for k, _ in keyed}
        stale = [annotation for annotation in old if annotation_key(annotation) not in new_keys]
        for annotation, record in zip(stale, new, strict=False):
            before = snapshot(annotation)
            relabelled = annotation.label_id != labels[record.label].pk
            annotation.label = labels[record.label]
            annotation.status = record.status
            annotation.confidence = record.confidence
            annotation.annotator = record.annotator
            annotation.reviewed_at = (
                (record.created_at or now) if record.status != Status.PREDICTED else None
            )
            annotation.revision += 1
            annotation.updated = now
            annotation.save()
            action = ReviewEvent.Action.RELABEL if relabelled else ReviewEvent.Action.CHANGE
            ReviewEvent.objects.create(
                annotation=annotation,
                annotation_uuid=annotation.uuid,
                image_id=image.pk,
                action=action,
                before=before,
                after=snapshot(annotation),
                at=now,
            )
            done.add(id(record))
    return done


def geometry_problems(found: list[tuple[Image, list[AnnotationRecord]]]) -> list[str]:
    """Each record's geometry and status problems, once per annotation (an iFDO
    annotation with several labels is one geometry)."""
    problems: list[str] = []
    for image, records in found:
        for record in records:
            spot = record.where.split(", labels[")[0]
            for problem in geometry.check(
                record.shape, record.coordinates, image.width, image.height
            ):
                message = f"{spot}, geometry: {problem}"
                if message not in problems:
                    problems.append(message)
            if record.status not in IMPORTED_STATUSES:
                problems.append(f"{record.where}, status: {record.status!r} cannot be imported")
    return problems


def labels_for(image_set: ImageSet, names: list[str], problems: list[str]) -> dict[str, Label]:
    """The set's labels by name, the missing ones added to its label set (made
    when the set has none); why a name cannot be used goes to `problems`."""
    label_set = label_set_of(image_set) or new_label_set(image_set)
    existing = {label.name: label for label in label_set.labels.all()}
    missing = [name for name in names if name not in existing]
    if missing and label_set.state != LabelSet.State.DRAFT:
        problems.append(
            f"label(s) {', '.join(repr(n) for n in missing[:20])} are not in the label set "
            f"{label_set}, which is published: make a new version of it with them first"
        )
        return existing
    retired = [name for name in names if name in existing and existing[name].retired]
    problems.extend(f"label {name!r} is retired in {label_set}" for name in retired)
    if missing and not problems:
        # Matched to WoRMS taxa (or concepts); the rest asked of the curator or pending.
        matched = label_taxa(image_set, missing)
        specs = [
            {"name": name, "colour": PALETTE[(len(existing) + i) % len(PALETTE)], **matched[name]}
            for i, name in enumerate(missing)
        ]
        try:
            added = add_labels(actor=SYSTEM, label_set=label_set, labels=specs)
        except ValidationError as error:
            problems.extend(f"labels: {message}" for message in error.messages)
            return existing
        existing.update((label.name, label) for label in added)
    return existing


def new_label_set(image_set: ImageSet) -> LabelSet:
    """The label set of a set that has none: named after it, owned by its owner."""
    name = (image_set.title or f"Image set {image_set.pk}")[:200]
    label_set = create_label_set(
        actor=SYSTEM, name=name, description="Labels of the annotations imported with the set."
    )
    label_set.owner_id = image_set.owner_id
    label_set.save(update_fields=["owner"])
    Labelling.objects.create(image_set=image_set, label_set=label_set)
    return label_set


def annotation_key(annotation: Annotation) -> str:
    return same_key(
        annotation.image_id,
        annotation.label_id,
        annotation.shape,
        annotation.coordinates,
        annotation.annotator,
    )


def record_parts(record: AnnotationRecord) -> tuple:
    """A record's shape, coordinates and annotator, as `same_key` takes them."""
    return record.shape, record.coordinates, record.annotator


def same_key(image_id: int, label_id: int, shape: str, coordinates, annotator: str) -> str:
    """What makes two annotations the same import (coordinates as rounded numbers)."""

    def rounded(value):
        if isinstance(value, list | tuple):
            return [rounded(item) for item in value]
        return round(float(value), 4) if isinstance(value, int | float) else value

    return json.dumps([image_id, label_id, shape, rounded(coordinates), annotator])


def store(found: list[tuple[Image, list[AnnotationRecord]]], labels: dict[str, Label]):
    """Annotation rows and their creation events; those already there are skipped."""
    existing = Counter(
        same_key(*row)
        for row in Annotation.objects.filter(image__in=[image for image, _ in found]).values_list(
            "image_id", "label_id", "shape", "coordinates", "annotator"
        )
    )
    now = timezone.now()
    rows: list[Annotation] = []
    for image, records in found:
        for record in records:
            label = labels[record.label]
            key = same_key(image.pk, label.pk, record.shape, record.coordinates, record.annotator)
            if existing[key] > 0:
                existing[key] -= 1
                continue
            when = record.created_at or now
            reviewed = record.status != Status.PREDICTED
            rows.append(
                Annotation(
                    image=image,
                    label=label,
                    shape=record.shape,
                    coordinates=record.coordinates,
                    status=record.status,
                    confidence=record.confidence,
                    annotator=record.annotator,
                    reviewed_at=when if reviewed else None,
                    created=when,
                    updated=now,
                )
            )
    created = Annotation.objects.bulk_create(rows, batch_size=1000)
    ReviewEvent.objects.bulk_create(
        (creation_event(annotation) for annotation in created), batch_size=1000
    )
    return created


def creation_event(annotation: Annotation) -> ReviewEvent:
    """An imported annotation's first history entry: made by a person, or predicted."""
    predicted = annotation.status == Status.PREDICTED
    return ReviewEvent(
        annotation=annotation,
        annotation_uuid=annotation.uuid,
        image_id=annotation.image_id,
        action=ReviewEvent.Action.PREDICT if predicted else ReviewEvent.Action.CREATE,
        after=snapshot(annotation),
        at=annotation.created,
    )
