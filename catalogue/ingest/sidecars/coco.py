"""COCO object detection JSON (`images`, `categories`, `annotations`) read into a Sidecar.

Each annotation becomes one record on its image: a segmentation polygon as a
polygon, else its `bbox` ([x, y, width, height]) as a box, else the whole image;
the category's name is the label. A `score` (detector results) makes it a
prediction with that confidence; otherwise it is a person's, validated. Errors
name the list, the index and the field, and are reported all at once.
"""

from __future__ import annotations

import json
import math
from typing import Any

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.records import (
    COCO,
    MAX_LABEL_LENGTH,
    AnnotationRecord,
    ImageMetadata,
    SetMetadata,
    Sidecar,
)
from catalogue.ingest.sidecars.values import decode_text, nfc, problems_text, short

STATUSES = ("predicted", "validated", "dubious")
NO_ID = "\x00"  # stands for an id that is no number or text: never a key


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _list(doc: dict[str, Any], key: str, name: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise IngestError(name, f"field {key}: expected a list")
    return value


def parse_coco(data: bytes | str, *, name: str) -> Sidecar:
    """Read a COCO JSON file (instances, or detector results with scores)."""
    try:
        doc = json.loads(decode_text(data, name))
    except json.JSONDecodeError as exc:
        raise IngestError(
            name, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(doc, dict) or "images" not in doc:
        raise IngestError(name, "not a COCO file: expected an object with images")
    problems: list[str] = []
    warnings: list[str] = []
    images = _images(_list(doc, "images", name), problems)
    categories = _categories(_list(doc, "categories", name), problems)
    for index, entry in enumerate(_list(doc, "annotations", name)):
        spot = f"annotations[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{spot}: expected an object")
            continue
        image = images.get(_key(entry.get("image_id")))
        if image is None:
            problems.append(f"{spot}, field image_id: no image {short(entry.get('image_id'))}")
            continue
        label = categories.get(_key(entry.get("category_id")))
        if label is None:
            problems.append(
                f"{spot}, field category_id: no category {short(entry.get('category_id'))}"
            )
            continue
        record = _record(entry, label, spot, problems, warnings)
        if record is not None:
            image.annotations.append(record)
    if problems:
        raise IngestError(name, problems_text(problems))
    files: dict[str, ImageMetadata] = {}
    for meta in images.values():
        files.setdefault(meta.file_name, meta)
    if len(files) < len(images):
        warnings.append("several images share a file name; the first of each was kept")
    return Sidecar(COCO, SetMetadata(), files, warnings, name=name)


def _key(value: Any) -> int | str:
    """An id as COCO gives it (a number, sometimes text); anything else matches nothing."""
    return value if isinstance(value, int | str) and not isinstance(value, bool) else NO_ID


def _images(entries: list[Any], problems: list[str]) -> dict[int | str, ImageMetadata]:
    images: dict[int | str, ImageMetadata] = {}
    for index, entry in enumerate(entries):
        spot = f"images[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{spot}: expected an object with id and file_name")
            continue
        file_name = entry.get("file_name")
        if not isinstance(file_name, str) or not file_name.strip():
            problems.append(f"{spot}, field file_name: expected the image's file name")
            continue
        image_id = _key(entry.get("id"))
        if image_id == NO_ID or image_id in images:
            problems.append(f"{spot}, field id: {short(entry.get('id'))} is not a unique id")
            continue
        images[image_id] = ImageMetadata(file_name=nfc(file_name.strip()))
    return images


def _categories(entries: list[Any], problems: list[str]) -> dict[int | str, str]:
    categories: dict[int | str, str] = {}
    for index, entry in enumerate(entries):
        spot = f"categories[{index}]"
        label = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(label, str) or not label.strip():
            problems.append(f"{spot}, field name: expected the category's name")
            continue
        if len(label.strip()) > MAX_LABEL_LENGTH:
            problems.append(f"{spot}, field name: longer than {MAX_LABEL_LENGTH} characters")
            continue
        category_id = _key(entry.get("id"))
        if category_id == NO_ID:
            problems.append(f"{spot}, field id: {short(entry.get('id'))} is not an id")
            continue
        categories[category_id] = label.strip()
    return categories


def _record(
    entry: dict[str, Any], label: str, spot: str, problems: list[str], warnings: list[str]
) -> AnnotationRecord | None:
    found = _geometry(entry, spot, problems, warnings)
    if found is None:
        return None
    score = entry.get("score")
    if score is not None and not (_number(score) and 0 <= score <= 1):
        problems.append(f"{spot}, field score: {short(score)} is not between 0 and 1")
        return None
    status = entry.get("status")
    if status is not None and status not in STATUSES:
        problems.append(
            f"{spot}, field status: {short(status)} is not one of {', '.join(STATUSES)}"
        )
        return None
    annotator = entry.get("annotator")
    return AnnotationRecord(
        label=label,
        where=spot,
        shape=found[0],
        coordinates=found[1],
        status=status or ("predicted" if score is not None else "validated"),
        confidence=float(score) if score is not None else None,
        annotator=str(annotator)[:200] if isinstance(annotator, str) else "",
    )


def _geometry(
    entry: dict[str, Any], spot: str, problems: list[str], warnings: list[str]
) -> tuple[str, list] | None:
    """Polygon from the segmentation, else box from the bbox, else the whole image."""
    segmentation = entry.get("segmentation")
    if isinstance(segmentation, list) and segmentation:
        parts = segmentation if all(isinstance(p, list) for p in segmentation) else [segmentation]
        if not all(
            len(part) >= 6 and len(part) % 2 == 0 and all(_number(v) for v in part)
            for part in parts
        ):
            problems.append(
                f"{spot}, field segmentation: expected polygons as [x1, y1, x2, y2, x3, y3, ...]"
            )
            return None
        if len(parts) > 1:
            warnings.append(
                f"{spot}: {len(parts)} segmentation polygons; the one with most points was kept"
            )
        part = max(parts, key=len)
        return "polygon", [[float(part[i]), float(part[i + 1])] for i in range(0, len(part), 2)]
    if segmentation and not isinstance(segmentation, dict):
        problems.append(f"{spot}, field segmentation: expected a list of polygons")
        return None
    bbox = entry.get("bbox")
    if bbox is None:
        return "whole", []
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
        problems.append(f"{spot}, field bbox: expected [x, y, width, height] in pixels")
        return None
    if isinstance(segmentation, dict):
        warnings.append(f"{spot}: a run-length mask was imported as its bbox")
    x, y, width, height = (float(v) for v in bbox)
    return "box", [x, y, x + width, y + height]
