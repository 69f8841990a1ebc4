"""The landing page's gallery, one page of thumbnails at a time, and its lightbox data:
file links, EXIF summary, annotation and prediction boxes in percent of the image."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.urls import reverse

from catalogue.formats import common
from catalogue.models import Image, ImageSet

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
    images = list(image_set.images.order_by("file_name", "pk")[(number - 1) * size : number * size])
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


def _file_url(image: Image, variant: str) -> str:
    if variant == "original":
        return reverse("catalogue:image-original", kwargs={"pk": image.pk})
    return reverse("catalogue:image-thumbnail", kwargs={"pk": image.pk, "variant": variant})


def image_item(image: Image) -> dict:
    fields = image.fields if isinstance(image.fields, dict) else {}
    annotations = image_annotations(fields, image.width, image.height)
    predictions = image_predictions(fields, image.width, image.height)
    small = _file_url(image, "small") if image.thumbnail_small else None
    medium = _file_url(image, "medium") if image.thumbnail_medium else small
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
        "annotations": annotations,
        "predictions": predictions,
    }
    labels = [a["label"] for a in annotations]
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


def _ifdo_box(entry: dict, width: int, height: int) -> list[float] | None:
    """The bounding box of an iFDO marker's pixel coordinates (none for whole-image)."""
    if entry.get("shape") in (None, "", "whole-image"):
        return None
    numbers = _flat_numbers(entry.get("coordinates"))
    if len(numbers) < 2 or len(numbers) % 2:
        return None
    xs, ys = numbers[0::2], numbers[1::2]
    return _box([min(xs), min(ys), max(xs), max(ys)], width, height)


def _dict_box(entry: dict, width: int, height: int) -> list[float] | None:
    if "box" in entry:  # [x0, y0, x1, y1], as model predictions
        return _box(entry["box"], width, height)
    bbox = entry.get("bbox")  # [x, y, w, h], as COCO
    if (
        isinstance(bbox, list | tuple)
        and len(bbox) == 4
        and all(isinstance(v, int | float) for v in bbox)
    ):
        return _box([bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]], width, height)
    return None


def _label(entry: dict) -> str | None:
    label = entry.get("category") or entry.get("label") or entry.get("name")
    return str(label) if label not in (None, "") else None


def image_annotations(fields: dict, width: int, height: int) -> list[dict]:
    """Curated annotations of an image as {label, box?, status?, by?}.

    Ingest stores an EcoTaxa row's annotation as a dict ({"category", "status",
    "person", "date"}), further rows of the same image under fields["objects"],
    and iFDO image-annotations as given (markers with a shape, pixel
    coordinates and labels)."""
    raw = fields.get("annotation")
    objects = fields.get("objects")
    entries: list = []
    if isinstance(objects, list) and objects:
        entries = [o.get("annotation") for o in objects if isinstance(o, dict)]
    elif isinstance(raw, list):
        entries = raw
    elif isinstance(raw, dict):
        entries = [raw]
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("labels"), list):  # an iFDO marker
            box = _ifdo_box(entry, width, height)
            for label in entry["labels"]:
                if isinstance(label, dict) and _label(label):
                    item: dict[str, Any] = {"label": _label(label), "box": box}
                    if label.get("annotator"):
                        item["by"] = str(label["annotator"])
                    if isinstance(label.get("confidence"), int | float):
                        item["confidence"] = float(label["confidence"])
                    out.append(item)
            continue
        label = _label(entry)
        if not label:
            continue
        item = {"label": label, "box": _dict_box(entry, width, height)}
        if entry.get("status"):
            item["status"] = str(entry["status"])
        if entry.get("person"):
            item["by"] = str(entry["person"])
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
