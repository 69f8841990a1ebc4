"""What the curation app does when the catalogue changes."""

from __future__ import annotations

from curation.models import Annotation, Labelling
from curation.services.imports import import_annotations

# An annotation's columns a next version copies (not its identity, image, or review).
COPIED = (
    "label_id",
    "shape",
    "coordinates",
    "status",
    "confidence",
    "created_by_id",
    "model_version_id",
    "annotator",
    "reviewed_by_id",
    "reviewed_at",
    "created",
)


def copy_annotations(sender, source, draft, images, **kwargs) -> None:
    """A set's next version starts with the published version's annotations and
    label set: review goes on in the draft while the published ones stay frozen."""
    labelling = Labelling.objects.filter(image_set=source).first()
    if labelling is not None:
        Labelling.objects.get_or_create(
            image_set=draft, defaults={"label_set_id": labelling.label_set_id}
        )
    new_image = dict(images)
    rows = (
        Annotation.objects.filter(image__image_set=source)
        .order_by("pk")
        .values("image_id", *COPIED)
    )
    Annotation.objects.bulk_create(
        (Annotation(image_id=new_image[row.pop("image_id")], **row) for row in rows),
        batch_size=2000,
    )


def store_imported_annotations(sender, image_set, sidecar, found, **kwargs) -> None:
    """A sidecar's annotations become rows in the ingest's transaction; IngestError
    (every problem named) refuses the sidecar. On images it corrects, earlier
    imported annotations are changed rather than doubled."""
    import_annotations(
        image_set=image_set, sidecar=sidecar, found=found, corrected=kwargs.get("corrected", ())
    )
