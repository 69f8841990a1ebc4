"""COCO object detection JSON (`images`, `categories`, `annotations`) read into a Sidecar.

Each annotation becomes one record on its image: a segmentation polygon as a
polygon, else its `bbox` ([x, y, width, height]) as a box, else the whole image;
the category's name is the label. A `score` (detector results) makes it a
prediction with that confidence; otherwise it is a person's, validated. An
image's `date_captured` (FathomNet exports fill it, "2007-08-17 17:50:34", UTC) is
its capture time. Problems name the JSON path ("annotations[3].bbox") and the
value, and are reported all at once.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.records import (
    COCO,
    MAX_LABEL_LENGTH,
    AnnotationRecord,
    ImageMetadata,
    SetMetadata,
    Sidecar,
    SidecarProblems,
)
from catalogue.ingest.sidecars.values import decode_text, nfc

STATUSES = ("predicted", "validated", "dubious")
NO_ID = "\x00"  # stands for an id that is no number or text: never a key


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _list(doc: dict[str, Any], key: str, problems: SidecarProblems) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        problems.add("expected a list", column=key, value=type(value).__name__)
        return []
    return value


def parse_coco(data: bytes | str, *, name: str) -> Sidecar:
    """Read a COCO JSON file (instances, or detector results with scores)."""
    problems = SidecarProblems(name)
    try:
        doc = json.loads(decode_text(data, name))
    except IngestError as error:  # not UTF-8
        raise problems.fatal(error.reason) from None
    except json.JSONDecodeError as exc:
        raise problems.fatal(
            f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    if not isinstance(doc, dict) or "images" not in doc:
        raise problems.fatal("not a COCO file: expected an object with images")
    warnings: list[str] = []
    images = _images(_list(doc, "images", problems), problems, warnings)
    problems.names.update(image.file_name for image in images.values())
    categories = _categories(_list(doc, "categories", problems), problems)
    for index, entry in enumerate(_list(doc, "annotations", problems)):
        spot = f"annotations[{index}]"
        if not isinstance(entry, dict):
            problems.add("expected an object", column=spot)
            continue
        image = images.get(_key(entry.get("image_id")))
        if image is None:
            problems.add("names no image", column=f"{spot}.image_id", value=entry.get("image_id"))
            continue
        label = categories.get(_key(entry.get("category_id")))
        if label is None:
            problems.add(
                "names no category", column=f"{spot}.category_id", value=entry.get("category_id")
            )
            continue
        record = _record(entry, label, spot, problems, warnings)
        if record is not None:
            image.annotations.append(record)
    problems.raise_if_any()
    files: dict[str, ImageMetadata] = {}
    for meta in images.values():
        files.setdefault(meta.file_name, meta)
    if len(files) < len(images):
        warnings.append("several images share a file name; the first of each was kept")
    return Sidecar(COCO, SetMetadata(), files, warnings, name=name)


def _key(value: Any) -> int | str:
    """An id as COCO gives it (a number, sometimes text); anything else matches nothing."""
    return value if isinstance(value, int | str) and not isinstance(value, bool) else NO_ID


def _images(
    entries: list[Any], problems: SidecarProblems, warnings: list[str]
) -> dict[int | str, ImageMetadata]:
    images: dict[int | str, ImageMetadata] = {}
    for index, entry in enumerate(entries):
        spot = f"images[{index}]"
        if not isinstance(entry, dict):
            problems.add("expected an object with id and file_name", column=spot)
            continue
        file_name = entry.get("file_name")
        if not isinstance(file_name, str) or not file_name.strip():
            problems.add(
                "expected the image's file name", column=f"{spot}.file_name", value=file_name
            )
            continue
        image_id = _key(entry.get("id"))
        if image_id == NO_ID or image_id in images:
            problems.add("is not a unique id", column=f"{spot}.id", value=entry.get("id"))
            continue
        image = ImageMetadata(file_name=nfc(file_name.strip()))
        image.captured_at = _captured(entry.get("date_captured"), spot, warnings)
        images[image_id] = image
    return images


def _captured(value: Any, spot: str, warnings: list[str]) -> datetime | None:
    """COCO's optional date_captured; one that cannot be read is dropped, with a warning,
    since COCO leaves its form open."""
    if value in (None, ""):
        return None
    try:
        found = datetime.fromisoformat(str(value).strip().removesuffix("Z"))
    except ValueError:
        warnings.append(f"{spot}.date_captured: {value!r} is not a date and time; left out")
        return None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found


def _categories(entries: list[Any], problems: SidecarProblems) -> dict[int | str, str]:
    categories: dict[int | str, str] = {}
    for index, entry in enumerate(entries):
        spot = f"categories[{index}]"
        label = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(label, str) or not label.strip():
            problems.add("expected the category's name", column=f"{spot}.name", value=label)
            continue
        if len(label.strip()) > MAX_LABEL_LENGTH:
            problems.add(
                f"longer than {MAX_LABEL_LENGTH} characters", column=f"{spot}.name", value=label
            )
            continue
        category_id = _key(entry.get("id"))
        if category_id == NO_ID:
            problems.add("is not an id", column=f"{spot}.id", value=entry.get("id"))
            continue
        categories[category_id] = label.strip()
    return categories


def _record(
    entry: dict[str, Any], label: str, spot: str, problems: SidecarProblems, warnings: list[str]
) -> AnnotationRecord | None:
    found = _geometry(entry, spot, problems, warnings)
    if found is None:
        return None
    score = entry.get("score")
    if score is not None and not (_number(score) and 0 <= score <= 1):
        problems.add("is not between 0 and 1", column=f"{spot}.score", value=score)
        return None
    status = entry.get("status")
    if status is not None and status not in STATUSES:
        problems.add(f"is not one of {', '.join(STATUSES)}", column=f"{spot}.status", value=status)
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
    entry: dict[str, Any], spot: str, problems: SidecarProblems, warnings: list[str]
) -> tuple[str, list] | None:
    """Polygon from the segmentation, else box from the bbox, else the whole image."""
    segmentation = entry.get("segmentation")
    if isinstance(segmentation, list) and segmentation:
        parts = segmentation if all(isinstance(p, list) for p in segmentation) else [segmentation]
        if not all(
            len(part) >= 6 and len(part) % 2 == 0 and all(_number(v) for v in part)
            for part in parts
        ):
            problems.add(
                "expected polygons as [x1, y1, x2, y2, x3, y3, ...]",
                column=f"{spot}.segmentation",
                value=json.dumps(segmentation),
            )
            return None
        if len(parts) > 1:
            warnings.append(
                f"{spot}: {len(parts)} segmentation polygons; the one with most points was kept"
            )
        part = max(parts, key=len)
        return "polygon", [[float(part[i]), float(part[i + 1])] for i in range(0, len(part), 2)]
    if segmentation and not isinstance(segmentation, dict):
        problems.add(
            "expected a list of polygons", column=f"{spot}.segmentation", value=segmentation
        )
        return None
    bbox = entry.get("bbox")
    if bbox is None:
        return "whole", []
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
        problems.add(
            "expected [x, y, width, height] in pixels",
            column=f"{spot}.bbox",
            value=json.dumps(bbox),
        )
        return None
    if isinstance(segmentation, dict):
        warnings.append(f"{spot}: a run-length mask was imported as its bbox")
    x, y, width, height = (float(v) for v in bbox)
    return "box", [x, y, x + width, y + height]
