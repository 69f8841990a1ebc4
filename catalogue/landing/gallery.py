"""The landing page's gallery, one page of thumbnails at a time, and its lightbox data:
file links, EXIF summary, annotation and prediction boxes in percent of the image.

Annotations are the image's annotation rows (label, status, geometry), read
through the reverse relation the curation app declares; rejected ones are left out."""

from __future__ import annotations

import math
import re
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from catalogue.formats import common
from catalogue.landing.raster import raster_facts
from catalogue.models import Image, ImageSet

REJECTED = "rejected"

#: Thumbnails per gallery page (settings.AQUACAT_LANDING_GALLERY_SIZE overrides).
GALLERY_SIZE = 48

#: EXIF tags worth a line in the lightbox, in this order, with their labels.
EXIF_SUMMARY = [
    ("Make", "Camera make"),
    ("Model", "Camera model"),
    ("LensModel", "Lens"),
    ("ExposureTime", "Exposure"),
    ("FNumber", "Aperture"),
    ("ISOSpeedRatings", "ISO"),
    ("PhotographicSensitivity", "ISO"),
    ("FocalLength", "Focal length"),
    ("DateTimeOriginal", "Original date"),
    ("Software", "Software"),
    ("ImageDescription", "Description"),
]


def gallery_size() -> int:
    return max(1, int(getattr(settings, "AQUACAT_LANDING_GALLERY_SIZE", GALLERY_SIZE)))


def gallery(image_set: ImageSet, page: str | int | None) -> dict:
    """One page of thumbnails, never the whole set, and the lightbox data of that page."""
    size = gallery_size()
    total = image_set.images.count()
    pages = max(1, -(-total // size))
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        number = 1
    number = min(max(1, number), pages)
    images = list(
        image_set.images.order_by("file_name", "pk").prefetch_related(
            Prefetch("annotations", queryset=shown_annotations())
        )[(number - 1) * size : number * size]
    )
    items = [image_item(image) for image in images]
    first = (number - 1) * size + 1 if items else 0
    return {
        "items": items,
        "total": total,
        "page": number,
        "pages": pages,
        "size": size,
        "first": first,
        "last": first + len(items) - 1 if items else 0,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < pages else None,
        # The lightbox reads this (json_script): no markup, the JS sets text only.
        "data": [item["data"] for item in items],
    }


def withheld_gallery(image_set: ImageSet) -> dict:
    """The gallery of a set whose files the caller may not read yet: how many images
    there are and until when they are withheld, never a thumbnail or a file name."""
    total = image_set.images.count()
    return {
        "items": [],
        "total": total,
        "page": 1,
        "pages": 1,
        "size": gallery_size(),
        "first": 0,
        "last": 0,
        "previous": None,
        "next": None,
        "data": [],
        "withheld": True,
        "until": image_set.embargo_until,
    }


def shown_annotations():
    """The annotations a gallery shows: all but rejected, with their labels. The
    table is the curation app's, reached through the image's reverse relation
    (the catalogue never imports curation)."""
    model = Image._meta.get_field("annotations").related_model
    return model.objects.exclude(status=REJECTED).select_related("label").order_by("pk")


def _file_url(image: Image, variant: str) -> str:
    if image.remote and not image.storage_key:  # harvested, not copied: its source's
        return image.remote.get("file" if variant == "original" else f"thumbnail_{variant}", "")
    if variant == "original":
        return reverse("catalogue:image-original", kwargs={"pk": image.pk})
    return reverse("catalogue:image-thumbnail", kwargs={"pk": image.pk, "variant": variant})


def image_item(image: Image) -> dict:
    fields = image.fields if isinstance(image.fields, dict) else {}
    annotations = image_annotations(image)
    predictions = image_predictions(fields, image.width, image.height)
    small = _file_url(image, "small") if image.thumbnail_small or image.remote else None
    medium = _file_url(image, "medium") if image.thumbnail_medium or image.remote else small
    name = image.file_name.rsplit("/", 1)[-1]
    data = {
        "id": image.pk,
        "name": name,
        "path": image.file_name,
        "medium": medium,
        "original": _file_url(image, "original"),
        "similar": reverse("inference:similar-images", kwargs={"pk": image.pk}),
        "width": image.width,
        "height": image.height,
        "media_type": image.media_type,
        "size": image.size,
        "time": common.iso(image.captured_at),
        "latitude": image.latitude,
        "longitude": image.longitude,
        "depth": image.depth,
        "exif": exif_summary(image.exif),
        "raster": raster_facts(image),
        "annotations": annotations,
        "predictions": predictions,
    }
    labels = [a["label"] for a in annotations]
    labels += [label["name"] for label in (image.remote or {}).get("labels", [])]
    return {
        "id": image.pk,
        "name": name,
        "path": image.file_name,
        "small": small,
        "medium": medium,
        "labels": list(dict.fromkeys(labels)),
        "data": data,
    }


def exif_summary(exif) -> list[list[str]]:
    if not isinstance(exif, dict):
        return []
    out, seen = [], set()
    for tag, label in EXIF_SUMMARY:
        value = exif.get(tag)
        if value in (None, "") or label in seen:
            continue
        seen.add(label)
        text = str(value)
        if tag == "ExposureTime" and isinstance(value, int | float) and 0 < value < 1:
            text = f"1/{round(1 / value)} s"
        elif tag == "FNumber" and isinstance(value, int | float):
            text = f"f/{value:g}"
        elif tag == "FocalLength" and isinstance(value, int | float):
            text = f"{value:g} mm"
        out.append([label, text[:120]])
    return out


def _box(values, width: int, height: int) -> list[float] | None:
    """[left, top, width, height] in percent of the image, from pixel corners."""
    if not (isinstance(values, list | tuple) and len(values) == 4 and width and height):
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    x0, y0, x1, y1 = values
    x0, x1 = sorted((max(0.0, min(x0, width)), max(0.0, min(x1, width))))
    y0, y1 = sorted((max(0.0, min(y0, height)), max(0.0, min(y1, height))))
    box = [x0 / width * 100, y0 / height * 100, (x1 - x0) / width * 100, (y1 - y0) / height * 100]
    return [round(v, 3) for v in box]


def _flat_numbers(value) -> list[float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, list | tuple):
        return [n for item in value for n in _flat_numbers(item)]
    return []


def _outline_box(shape: str, coordinates, width: int, height: int) -> list[float] | None:
    """The box around an annotation's geometry (curation/geometry.py's coordinates)."""
    numbers = _flat_numbers(coordinates)
    if shape == "whole" or len(numbers) < 2:
        return None
    if shape == "circle" and len(numbers) == 3:
        x, y, r = numbers
        return _box([x - r, y - r, x + r, y + r], width, height)
    if shape == "rotated_box" and len(numbers) == 5:
        cx, cy, w, h, angle = numbers
        cos, sin = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
        half_w, half_h = (w * cos + h * sin) / 2, (w * sin + h * cos) / 2
        return _box([cx - half_w, cy - half_h, cx + half_w, cy + half_h], width, height)
    if shape == "box" and len(numbers) == 4:
        return _box(numbers, width, height)
    xs, ys = numbers[0::2], numbers[1::2]
    return _box([min(xs), min(ys), max(xs), max(ys)], width, height)


def _label(entry: dict) -> str | None:
    label = entry.get("category") or entry.get("label") or entry.get("name")
    return str(label) if label not in (None, "") else None


def image_annotations(image: Image) -> list[dict]:
    """The image's annotations as {label, status, shape, box, by?, confidence?}: the box
    in percent of the image around the geometry (None for the whole image)."""
    out = []
    for row in image.annotations.all():
        item: dict[str, Any] = {
            "label": row.label.name,
            "status": row.status,
            "shape": row.shape,
            "box": _outline_box(row.shape, row.coordinates, image.width, image.height),
        }
        if row.annotator:
            item["by"] = row.annotator
        if row.confidence is not None:
            item["confidence"] = row.confidence
        out.append(item)
    return out


def image_predictions(fields: dict, width: int, height: int) -> list[dict]:
    """What models said about the image (fields["predictions"], written by enrichment)."""
    out = []
    for entry in fields.get("predictions") or []:
        if not isinstance(entry, dict) or not _label(entry):
            continue
        confidence = entry.get("confidence")
        out.append(
            {
                "label": _label(entry),
                "model": str(entry.get("model") or ""),
                "version": str(entry.get("version") or ""),
                "confidence": float(confidence) if isinstance(confidence, int | float) else None,
                "box": _box(entry.get("box"), width, height) if entry.get("box") else None,
                "status": str(entry.get("status") or ""),
                "card": _card_url(entry.get("model"), entry.get("version")),
            }
        )
    return out


def _card_url(model, version) -> str | None:
    if not (isinstance(model, str) and re.fullmatch(r"[-a-zA-Z0-9_]+", model) and version):
        return None
    return reverse("inference:model-card", kwargs={"model": model, "version": str(version)})
