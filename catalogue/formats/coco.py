"""COCO (Common Objects in Context) JSON of a set's annotated images.

AquaCat's curated annotations are whole-image classes (EcoTaxa categories, iFDO
labels), so each becomes a COCO annotation whose box is the whole image; the
format lets detection tools and COCO viewers read a labelled set as it is.
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse

from catalogue.formats import common
from catalogue.models import ImageSet
from catalogue.search.documents import annotation_labels


def to_dict(image_set: ImageSet, *, base: str | None = None) -> dict:
    root = common.base_url(base)
    licence = common.licence(image_set)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    categories: dict[str, int] = {}
    for image in image_set.images.order_by("pk"):
        labels = annotation_labels(image.fields)
        if not labels:
            continue
        original = reverse("catalogue:image-original", kwargs={"pk": image.pk})
        images.append(
            {
                "id": image.pk,
                "file_name": image.file_name,
                "width": image.width,
                "height": image.height,
                "date_captured": image.captured_at.isoformat() if image.captured_at else "",
                "license": 1,
                "coco_url": root.rstrip("/") + original,
                "sha256": image.sha256,
            }
        )
        for label in labels:
            category = categories.setdefault(label, len(categories) + 1)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image.pk,
                    "category_id": category,
                    "bbox": [0, 0, image.width, image.height],
                    "area": image.width * image.height,
                    "iscrowd": 0,
                    "segmentation": [],
                }
            )
    return {
        "info": {
            "description": image_set.title,
            "url": common.landing_url(image_set, base),
            "version": image_set.version,
            "date_created": image_set.created.isoformat(),
        },
        "licenses": [{"id": 1, "name": licence["name"], "url": licence["url"]}],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": n, "supercategory": ""} for n, i in categories.items()],
    }


def to_json(image_set: ImageSet, *, base: str | None = None) -> str:
    return json.dumps(to_dict(image_set, base=base), indent=2)
