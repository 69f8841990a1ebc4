"""A set to review: real images, a label set with shortcut keys, and boxes a model
predicted with falling confidence (the page tests and the browser tests share it)."""

from __future__ import annotations

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from curation.models import Annotation, Label, Shape, Status
from curation.services import labels as label_services
from tests.catalogue.conftest import real_jpegs

LABELS = [
    {"name": "Tripos", "aphia_id": 106285, "shortcut": "t", "colour": "#d62728"},
    {"name": "Ciliophora", "aphia_id": 11, "shortcut": "c", "colour": "#2ca02c"},
    {"name": "detritus", "concept": "detritus", "colour": "#7f7f7f"},
]


def set_to_review(
    *, owner, curators=(), reviewers=(), images: int = 3, predictions: int = 0
) -> tuple[ImageSet, dict[str, Label], list[Annotation]]:
    """A draft with `images` real images using a three-label set, and `predictions`
    predicted boxes (labelled Tripos, confidence 0.99 falling by 0.01), spread over
    the images. Predictions are written as a model writes them: rows, no person."""
    image_set = services.create_image_set(
        title="North Sea plankton to review",
        creators=[{"name": "Berg, Anna"}],
        licence="CC-BY-4.0",
        owner=owner,
        curators=list(curators),
        actor=SYSTEM,
    )
    services.ingest(image_set, real_jpegs(images), actor=SYSTEM)
    image_set.reviewers.add(*reviewers)
    label_set = label_services.create_label_set(
        actor=owner, name="North Sea plankton", labels=LABELS
    )
    label_services.use_label_set(actor=SYSTEM, image_set=image_set, label_set=label_set)
    named = {label.name: label for label in label_set.labels.all()}
    pictures = list(image_set.images.order_by("pk"))
    rows = []
    for index in range(predictions):
        image = pictures[index % len(pictures)]
        width, height = image.width, image.height
        rows.append(
            Annotation(
                image=image,
                label=named["Tripos"],
                shape=Shape.BOX,
                coordinates=[1, 1, max(2, width // 2), max(2, height // 2)],
                status=Status.PREDICTED,
                confidence=round(0.99 - index * 0.01, 2),
                annotator="model",
            )
        )
    made = Annotation.objects.bulk_create(rows)
    image_set.refresh_from_db()
    return image_set, named, made
