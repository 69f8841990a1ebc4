"""A set's annotations as the catalogue's image-level formats write them
(catalogue/formats/annotations.py): registered there when the app is ready.

One query for the rows, one for the label set; geometry through
curation/geometry.py, so COCO's bbox and segmentation, YOLO's boxes and iFDO's
shapes agree with what the editor drew.
"""

from __future__ import annotations

import math

from catalogue.formats.annotations import Category, Exported, SetAnnotations
from catalogue.models import ImageSet
from curation import geometry
from curation.models import Annotation, Label, Labelling, Shape, Status

COLUMNS = (
    "image_id",
    "image__width",
    "image__height",
    "label_id",
    "shape",
    "coordinates",
    "status",
    "confidence",
    "annotator",
    "created_by__username",
    "model_version_id",
    "reviewed_by__username",
    "reviewed_at",
    "created",
    "revision",
)


def read(image_set: ImageSet) -> SetAnnotations:
    labelling = Labelling.objects.filter(image_set=image_set).select_related("label_set").first()
    rows = list(
        Annotation.objects.filter(image__image_set=image_set)
        .exclude(status=Status.REJECTED)
        .order_by("image_id", "pk")
        .values(*COLUMNS)
    )
    label_ids = {row["label_id"] for row in rows}
    labels = Label.objects.select_related("parent").order_by("name", "pk")
    if labelling is not None:
        labels = labels.filter(label_set_id=labelling.label_set_id) | labels.filter(
            pk__in=label_ids
        )
    else:
        labels = labels.filter(pk__in=label_ids)
    categories = {
        label.pk: Category(
            id=label.pk,
            name=label.name,
            parent=label.parent.name if label.parent else "",
            aphia_id=label.aphia_id,
        )
        for label in labels
        if not label.retired or label.pk in label_ids
    }
    out = SetAnnotations(
        label_set=str(labelling.label_set) if labelling else "",
        categories=list(categories.values()),
    )
    for row in rows:
        out.by_image.setdefault(row["image_id"], []).append(exported(row, categories))
    return out


def exported(row: dict, categories: dict[int, Category]) -> Exported:
    width, height = row["image__width"], row["image__height"]
    shape, coordinates = row["shape"], row["coordinates"]
    outline = geometry.polygon_points(shape, coordinates)
    box = geometry.bounds(shape, coordinates, width, height)
    return Exported(
        image_id=row["image_id"],
        label=categories[row["label_id"]],
        shape=shape,
        coordinates=coordinates,
        box=box,
        outline=outline,
        area=area(shape, coordinates, outline, box),
        status=row["status"],
        confidence=row["confidence"],
        made_by=row["created_by__username"] or row["annotator"],
        made=row["created"],
        reviewed_by=row["reviewed_by__username"] or "",
        reviewed=row["reviewed_at"],
        # Never changed and no model's: as its sidecar (or the editor) first made it.
        as_imported=row["revision"] == 1 and row["model_version_id"] is None,
    )


def area(shape: str, coordinates, outline, box) -> float:
    if shape == Shape.CIRCLE:
        return math.pi * float(coordinates[2]) ** 2
    if outline:
        return abs(
            sum(
                x0 * y1 - x1 * y0
                for (x0, y0), (x1, y1) in zip(outline, outline[1:] + outline[:1], strict=True)
            )
            / 2
        )
    if shape == Shape.WHOLE:
        return (box[2] - box[0]) * (box[3] - box[1])
    return 0.0
