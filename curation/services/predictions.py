"""Model predictions as *predicted* annotations, and the review queue across
model versions.

When an inference job has written a version's predictions (inference's
Prediction rows), `record_predictions` puts them on the images as predicted
annotations tied to that model version: a class as a whole-image annotation, a
detection as a box, a segmenter's region as a polygon. Their labels come from the
image set's label set (made for the set when it has none); a label the model names
and the label set lacks is added while the label set is a draft. A published label
set is immutable, so a prediction naming a label it lacks (or a retired one) stays
a Prediction row only.

A newer version of the same model never touches what a person reviewed
(validated, dubious, rejected). It replaces the older version's still-predicted
annotation in the same place (same shape, boxes overlapping) with a "predict"
event holding before and after, removes an older still-predicted box it no
longer finds, and adds what is new. An annotation whose label it changed joins
the review queue (`review_queue`) until a person reviews it.

Published sets: predictions are derived data and are recorded there as
Prediction rows (and on the image's fields), but a published set's annotations
are frozen, so no annotation is written; review goes on in the next version's
draft, where the model can be run again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalogue import access
from catalogue.models import Image, ImageSet
from catalogue.search import outbox
from curation import geometry
from curation.models import Annotation, Label, Labelling, LabelSet, ReviewEvent, Shape, Status
from curation.services.annotations import snapshot
from inference.models import ModelVersion, Prediction

# Two boxes of two versions are the same find when they overlap this much (IoU).
SAME_FIND = 0.5
PREDICT = ReviewEvent.Action.PREDICT


@dataclass
class Find:
    """One prediction as it would sit on the image."""

    label: str
    confidence: float
    shape: str
    coordinates: list


def state(annotation: Annotation) -> dict:
    """A predict event's before/after: the annotation and the version that made it."""
    version = annotation.model_version
    return {
        **snapshot(annotation),
        "model_version": annotation.model_version_id,
        "version": version.version if version is not None else None,
    }


@transaction.atomic
def record_predictions(version: ModelVersion, image_ids: Iterable[int]) -> list[int]:
    """Put `version`'s predictions of these images on them as predicted annotations.
    Images that already carry this version's events are left alone (a redelivered
    batch writes nothing twice). Returns the ids of the annotations written."""
    finds = finds_of(version, image_ids)
    done = set(
        ReviewEvent.objects.filter(model_version=version, image_id__in=list(finds)).values_list(
            "image_id", flat=True
        )
    )
    by_set: dict[int, list[Image]] = defaultdict(list)
    for image in Image.objects.filter(pk__in=[i for i in finds if i not in done]).order_by("pk"):
        by_set[image.image_set_id].append(image)
    written: list[int] = []
    for set_id, images in sorted(by_set.items()):
        frozen = ImageSet.objects.filter(pk=set_id, state__in=access.FROZEN_STATES)
        if frozen.exists():
            continue  # frozen: the predictions stay Prediction rows (see the module's doc)
        # Locked: a set being published, or another batch making its label set, waits.
        image_set = ImageSet.objects.select_for_update().get(pk=set_id)
        if image_set.state in access.FROZEN_STATES:
            continue
        labels = labels_for(image_set, {find.label for i in images for find in finds[i.pk]})
        for image in images:
            written += put_on_image(version, image, finds[image.pk], labels)
        outbox.record("image", [image.pk for image in images])
        outbox.record("set", [set_id])
    return written


def finds_of(version: ModelVersion, image_ids: Iterable[int]) -> dict[int, list[Find]]:
    finds: dict[int, list[Find]] = defaultdict(list)
    for row in Prediction.objects.filter(
        model_version=version, image_id__in=list(image_ids)
    ).order_by("image_id", "rank"):
        if row.polygon is not None:  # a segmenter's region
            finds[row.image_id].append(
                Find(row.label, row.confidence, Shape.POLYGON, list(row.polygon))
            )
        elif row.box is None:
            finds[row.image_id].append(Find(row.label, row.confidence, Shape.WHOLE, []))
        else:
            finds[row.image_id].append(Find(row.label, row.confidence, Shape.BOX, list(row.box)))
    return finds


def labels_for(image_set: ImageSet, names: set[str]) -> dict[str, Label]:
    """The set's usable labels by name, the model's names added while its label set
    is a draft; the set gets a label set of its own when it has none."""
    labelling = Labelling.objects.select_related("label_set").filter(image_set=image_set).first()
    if labelling is None:
        label_set = LabelSet.objects.create(
            name=(image_set.title or "Labels")[:200],
            description="Made for the set's model predictions.",
            owner_id=image_set.owner_id,
        )
        labelling = Labelling.objects.create(image_set=image_set, label_set=label_set)
    label_set = labelling.label_set
    known = {label.name: label for label in label_set.labels.all()}
    missing = sorted(name for name in names if name not in known)
    if missing and label_set.state == LabelSet.State.DRAFT:
        Label.objects.bulk_create(
            [Label(label_set=label_set, name=name) for name in missing], ignore_conflicts=True
        )
        known = {label.name: label for label in label_set.labels.all()}
    return {name: label for name, label in known.items() if not label.retired}


def put_on_image(
    version: ModelVersion, image: Image, finds: list[Find], labels: dict[str, Label]
) -> list[int]:
    """Match the finds with the model's annotations already on the image, then
    replace, keep, add and remove as the module's doc says."""
    existing = list(
        Annotation.objects.select_for_update(of=("self",))
        .select_related("label", "model_version")
        .filter(image=image, model_version__model_id=version.model_id)
        .order_by("pk")
    )
    now = timezone.now()
    events: list[ReviewEvent] = []
    written: list[int] = []
    unmatched = list(existing)
    for find in finds:
        coordinates = clipped(find, image)
        if coordinates is None:
            continue  # a box outside the image
        match = best_match(find.shape, coordinates, unmatched, image)
        if match is not None:
            unmatched.remove(match)  # found again: kept, even when not replaced
        label = labels.get(find.label)
        if label is None:
            continue  # a label the set's label set may not take
        if match is not None:
            if match.status != Status.PREDICTED:
                continue  # a person reviewed it: never overwritten
            before = state(match)
            match.label, match.coordinates = label, coordinates
            match.confidence, match.model_version = find.confidence, version
            match.annotator = str(version)
            match.updated = now
            match.revision += 1
            match.save()
            events.append(event(match, version, before, now))
            written.append(match.pk)
            continue
        made = Annotation.objects.create(
            image=image,
            label=label,
            shape=find.shape,
            coordinates=coordinates,
            status=Status.PREDICTED,
            confidence=find.confidence,
            model_version=version,
            annotator=str(version),
            created=now,
            updated=now,
        )
        events.append(event(made, version, None, now))
        written.append(made.pk)
    for gone in unmatched:  # an older version's predicted find this one no longer makes
        if gone.status == Status.PREDICTED and gone.model_version_id != version.pk:
            events.append(removal(gone, version, now))
            ReviewEvent.objects.filter(annotation=gone).update(annotation=None)
            gone.delete()
    ReviewEvent.objects.bulk_create(events)
    return written


def clipped(find: Find, image: Image) -> list | None:
    """The find's coordinates within the image (a model's box may reach past an
    edge by a fraction of a pixel); None when nothing of it is left."""
    if find.shape == Shape.WHOLE:
        return []
    if find.shape == Shape.POLYGON:  # clipped by the segmenter; refused when it is not
        problems = geometry.check(Shape.POLYGON, find.coordinates, image.width, image.height)
        return None if problems else find.coordinates
    if len(find.coordinates) != 4:
        return None
    x0, y0, x1, y1 = (float(value) for value in find.coordinates)
    box = [max(0.0, x0), max(0.0, y0), min(float(image.width), x1), min(float(image.height), y1)]
    if geometry.check(Shape.BOX, box, image.width, image.height):
        return None
    return box


def best_match(
    shape: str, coordinates: list, candidates: list[Annotation], image: Image
) -> Annotation | None:
    """The annotation of the same shape that overlaps this find most (at least SAME_FIND)."""
    box = geometry.bounds(shape, coordinates, image.width, image.height)
    best, best_overlap = None, SAME_FIND
    for candidate in candidates:
        if candidate.shape != shape:
            continue
        other = geometry.bounds(candidate.shape, candidate.coordinates, image.width, image.height)
        overlap = iou(box, other)
        if overlap >= best_overlap:
            best, best_overlap = candidate, overlap
    return best


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 1.0  # two whole-image finds are one


def event(annotation: Annotation, version: ModelVersion, before: dict | None, now) -> ReviewEvent:
    return ReviewEvent(
        annotation=annotation,
        annotation_uuid=annotation.uuid,
        image_id=annotation.image_id,
        action=PREDICT,
        model_version=version,
        before=before,
        after=state(annotation),
        at=now,
    )


def removal(annotation: Annotation, version: ModelVersion, now) -> ReviewEvent:
    return ReviewEvent(
        annotation=None,
        annotation_uuid=annotation.uuid,
        image_id=annotation.image_id,
        action=ReviewEvent.Action.DELETE,
        model_version=version,
        before=state(annotation),
        at=now,
    )


def review_queue(image_set: ImageSet) -> QuerySet[Annotation]:
    """The set's predicted annotations whose label a newer model version changed
    and that nobody reviewed since ("changed between v1.0 and v1.1"), least
    confident first. Each carries `changed_from` / `changed_to` (label names) and
    `from_version` / `to_version` (version strings) of its latest such change."""
    latest = relabels().filter(annotation=OuterRef("pk")).order_by("-pk")
    return (
        changed_by_newer_model(Annotation.objects.filter(image__image_set=image_set))
        .annotate(
            changed_from=Subquery(latest.values(name=KT("before__label_name"))[:1]),
            changed_to=Subquery(latest.values(name=KT("after__label_name"))[:1]),
            from_version=Subquery(latest.values(name=KT("before__version"))[:1]),
            to_version=Subquery(latest.values(name=KT("after__version"))[:1]),
        )
        .select_related("label", "image", "model_version__model")
        .order_by(F("confidence").asc(nulls_first=True), "pk")
    )


def relabels() -> QuerySet[ReviewEvent]:
    """Predict events in which a newer model version changed the label."""
    return (
        ReviewEvent.objects.filter(action=PREDICT, before__isnull=False)
        .alias(was=KT("before__label"), now=KT("after__label"))
        .exclude(was=F("now"))
    )


def changed_by_newer_model(annotations: QuerySet[Annotation]) -> QuerySet[Annotation]:
    """Those of `annotations` still predicted whose label a newer model version
    changed since a person last reviewed them (the review queue, as a filter)."""
    last_person = (
        ReviewEvent.objects.filter(annotation=OuterRef("pk"))
        .exclude(action=PREDICT)
        .order_by("-pk")
        .values("pk")[:1]
    )
    since_review = relabels().filter(annotation=OuterRef("pk"), pk__gt=OuterRef("reviewed_up_to"))
    return (
        annotations.filter(status=Status.PREDICTED)
        .alias(reviewed_up_to=Coalesce(Subquery(last_person), Value(0)))
        .filter(Exists(since_review))
    )
