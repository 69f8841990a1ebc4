"""The curation API's output rows: label sets and labels, annotations and their
history, built from `.values()` rows by plain functions (a review grid page holds
hundreds of annotations); curation/api/serializers.py describes the same shapes for
the OpenAPI schema."""

from __future__ import annotations

from django.urls import reverse

from catalogue.api.serializers import Links
from curation.models import Label, LabelSet, ReviewEvent

ANNOTATION_COLUMNS = (
    "id",
    "uuid",
    "image_id",
    "image__image_set_id",
    "label_id",
    "label__name",
    "label__colour",
    "shape",
    "coordinates",
    "status",
    "confidence",
    "created_by__username",
    "model_version_id",
    "model_version__model__name",
    "model_version__version",
    "annotator",
    "revision",
    "created",
    "updated",
)
SOURCE_KINDS = ("person", "model", "import")


class CurationLinks(Links):
    """The catalogue's links, plus those of label sets, annotations and crops."""

    def __init__(self, request):
        super().__init__(request)
        self.curate = self.base + reverse("curation:my-sets").rstrip("/")

    def label_set(self, uuid) -> str:
        return f"{self.api}/label-sets/{uuid}/"

    def annotation(self, pk) -> str:
        return f"{self.api}/annotations/{pk}/"

    def crop(self, pk) -> str:
        return f"{self.curate}/annotations/{pk}/crop.jpg"


def source_of(row: dict) -> dict:
    """Who made an annotation: a model version, a person, or an import (a name only)."""
    if row["model_version_id"] is not None:
        return {
            "kind": "model",
            "name": row["model_version__model__name"],
            "model_version": row["model_version__version"],
        }
    if row["created_by__username"] is not None:
        return {"kind": "person", "name": row["created_by__username"], "model_version": None}
    return {"kind": "import", "name": row["annotator"], "model_version": None}


def annotation_row(row: dict, links: CurationLinks) -> dict:
    pk = row["id"]
    return {
        "id": pk,
        "uuid": row["uuid"],
        "url": links.annotation(pk),
        "image": row["image_id"],
        "image_set": row["image__image_set_id"],
        "label": {
            "id": row["label_id"],
            "name": row["label__name"],
            "colour": row["label__colour"],
        },
        "geometry": {"type": row["shape"], "coordinates": row["coordinates"]},
        "status": row["status"],
        "confidence": row["confidence"],
        "source": source_of(row),
        "revision": row["revision"],
        "created": row["created"],
        "updated": row["updated"],
        "crop": links.crop(pk),
    }


def label_row(label: Label) -> dict:
    return {
        "id": label.pk,
        "name": label.name,
        "parent": label.parent_id,
        "aphia_id": label.aphia_id,
        "concept": label.concept,
        "colour": label.colour,
        "shortcut": label.shortcut,
        "retired": label.retired,
    }


def label_set_row(label_set: LabelSet, links: CurationLinks, *, with_labels: bool = False) -> dict:
    url = links.label_set(label_set.uuid)
    previous = label_set.previous_version
    data = {
        "uuid": label_set.uuid,
        "concept_uuid": label_set.concept_uuid,
        "name": label_set.name,
        "version": label_set.version,
        "state": label_set.state,
        "description": label_set.description,
        "previous_version": links.label_set(previous.uuid) if previous else None,
        "owner": label_set.owner.get_username() if label_set.owner else None,
        "published": label_set.published,
        "created": label_set.created,
        "updated": label_set.updated,
        "url": url,
        "exports": {"csv": f"{url}export/?format=csv", "skos": f"{url}export/?format=skos"},
    }
    if with_labels:
        data["labels"] = [label_row(label) for label in label_set.labels.order_by("name", "pk")]
    return data


def event_row(event: ReviewEvent) -> dict:
    version = event.model_version
    return {
        "id": event.pk,
        "action": event.action,
        "actor": event.actor.get_username() if event.actor else None,
        "model": version.model.name if version else None,
        "model_version": version.version if version else None,
        "at": event.at,
        "before": event.before,
        "after": event.after,
    }
