"""COCO (Common Objects in Context) JSON of a set's annotated images.

Annotation rows give real geometry: `bbox` is [x, y, width, height] around the
shape, `segmentation` the polygon outline (boxes, rotated boxes and polygons),
`area` the shape's area, and `categories` the labels of the set's label set
(`supercategory`: the label's parent). Each annotation also says its review
`status`, its `score` (a model's confidence) and who made it. A sidecar
annotation kept in an image's fields (a whole-image class) becomes a box of the
whole image. Images with no annotation are left out: they are no example.
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse

from catalogue.formats import annotations as sources
from catalogue.formats import common
from catalogue.models import Image, ImageSet


def to_dict(image_set: ImageSet, *, base: str | None = None) -> dict:
    root = common.base_url(base)
    licence = common.licence(image_set)
    found = sources.read(image_set)
    categories: dict[str, dict[str, Any]] = {}
    for number, category in enumerate(found.categories, start=1):
        categories[category.name] = {
            "id": number,
            "name": category.name,
            "supercategory": category.parent,
            **({"aphia_id": category.aphia_id} if category.aphia_id else {}),
        }

    def category_id(name: str) -> int:
        entry = categories.setdefault(
            name, {"id": len(categories) + 1, "name": name, "supercategory": ""}
        )
        return entry["id"]

    images: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for image in image_set.images.order_by("pk"):
        rows = found.of(image)
        entries = (
            [annotation(row, category_id(row.label.name)) for row in rows]
            if rows is not None
            else [whole_image(image, category_id(name)) for name in sidecar_classes(image)]
        )
        if not entries:
            continue
        images.append(image_entry(image, root, licence_id=1))
        for entry in entries:
            out.append({"id": len(out) + 1, "image_id": image.pk, **entry})
    return {
        "info": {
            "description": image_set.title,
            "url": common.landing_url(image_set, base),
            "version": image_set.version,
            "date_created": image_set.created.isoformat(),
            **({"label_set": found.label_set} if found.label_set else {}),
        },
        "licenses": [{"id": 1, "name": licence["name"], "url": licence["url"]}],
        "images": images,
        "annotations": out,
        "categories": sorted(categories.values(), key=lambda entry: entry["id"]),
    }


def sidecar_classes(image: Image) -> list[str]:
    return list(dict.fromkeys(sources.sidecar_labels(image.fields)))


def image_entry(image: Image, root: str, *, licence_id: int) -> dict[str, Any]:
    original = reverse("catalogue:image-original", kwargs={"pk": image.pk})
    return {
        "id": image.pk,
        "file_name": image.file_name,
        "width": image.width,
        "height": image.height,
        "date_captured": image.captured_at.isoformat() if image.captured_at else "",
        "license": licence_id,
        "coco_url": root.rstrip("/") + original,
        "sha256": image.sha256,
    }


def annotation(row: sources.Exported, category: int) -> dict[str, Any]:
    x0, y0, x1, y1 = row.box
    segmentation = [[value for point in row.outline for value in point]] if row.outline else []
    return {
        "category_id": category,
        "bbox": [x0, y0, x1 - x0, y1 - y0],
        "area": row.area,
        "iscrowd": 0,
        "segmentation": segmentation,
        "shape": row.shape,
        "status": row.status,
        "score": row.confidence,
        "annotator": row.person,
    }


def whole_image(image: Image, category: int) -> dict[str, Any]:
    return {
        "category_id": category,
        "bbox": [0, 0, image.width, image.height],
        "area": image.width * image.height,
        "iscrowd": 0,
        "segmentation": [],
    }


def to_json(image_set: ImageSet, *, base: str | None = None) -> str:
    return json.dumps(to_dict(image_set, base=base), indent=2)
