"""iFDO `image-annotations` (v2, v1.x accepted) read into annotation records.

An iFDO annotation is a shape with pixel coordinates and a list of `labels`, each
naming a label, its annotator, when and how sure: every label becomes one record
on that shape. Label and annotator ids are resolved through the header's (or
item's) `image-annotation-labels` and `image-annotation-creators`.

Shapes (iFDO -> portal, see curation/geometry.py): single-pixel -> point,
polyline -> line, polygon -> polygon (the closing point dropped), circle ->
circle, rectangle -> box (rotated_box when its sides are not axis-parallel),
ellipse -> polygon (its outline), whole-image -> whole. Problems are collected,
not raised, so a file's every problem is reported at once.

iFDO has no review status: a label whose creator's type names a machine ("AI",
"model", ...) or whose confidence is below 1 is a prediction; any other is a
person's, validated.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from catalogue.ingest.sidecars.records import MAX_LABEL_LENGTH, AnnotationRecord
from catalogue.ingest.sidecars.values import short

ELLIPSE_POINTS = 36
SHAPES = ("single-pixel", "polyline", "polygon", "circle", "rectangle", "ellipse", "whole-image")
#: Creator types that name a machine: their labels are predictions.
_MACHINE = re.compile(r"\b(ai|machine|model|algorithm|automatic|automated|software)\b", re.I)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def lookup(entries: Any, key: str) -> dict[str, dict[str, Any]]:
    """`image-annotation-labels` / `-creators` as id -> entry (malformed ones skipped)."""
    found: dict[str, dict[str, Any]] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get(key) not in (None, ""):
            found[str(entry[key])] = entry
    return found


def flat_coordinates(value: Any, frames: bool) -> list[float] | None:
    """The numbers of one photo's coordinates: v2's [[x1, y1, ...]], v1's flat
    list, [x, y] pairs or {x, y} points; a video's first frame. None: malformed."""
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    if all(_number(v) for v in value):
        return [float(v) for v in value]
    if all(isinstance(v, dict) for v in value):
        points = [(v.get("x"), v.get("y")) for v in value]
        if not all(_number(x) and _number(y) for x, y in points):
            return None
        return [float(n) for point in points for n in point]
    if not all(isinstance(v, list) and all(_number(n) for n in v) for v in value):
        return None
    if frames or len(value) == 1 or not all(len(v) == 2 for v in value):
        return [float(n) for n in value[0]] if value else []
    return [float(n) for point in value for n in point]


def pairs(numbers: list[float]) -> list[list[float]]:
    return [[numbers[i], numbers[i + 1]] for i in range(0, len(numbers), 2)]


def rectangle(numbers: list[float]) -> tuple[str, list]:
    """Four corners in order: a box when axis-parallel, else a rotated box."""
    corners = pairs(numbers)
    xs, ys = {round(x, 6) for x, _ in corners}, {round(y, 6) for _, y in corners}
    if len(xs) <= 2 and len(ys) <= 2:
        return "box", [min(xs), min(ys), max(xs), max(ys)]
    (x0, y0), (x1, y1), (x2, y2), _ = corners
    width, height = math.dist((x0, y0), (x1, y1)), math.dist((x1, y1), (x2, y2))
    angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    cx, cy = sum(x for x, _ in corners) / 4, sum(y for _, y in corners) / 4
    return "rotated_box", [cx, cy, width, height, angle]


def ellipse(numbers: list[float]) -> list[list[float]]:
    """The outline of an ellipse given by the ends of its two axes (as BIIGLE
    writes it: p1, p3 on one axis, p2, p4 on the other)."""
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = pairs(numbers)
    cx, cy = (x1 + x2 + x3 + x4) / 4, (y1 + y2 + y3 + y4) / 4
    ax, ay, bx, by = x1 - cx, y1 - cy, x2 - cx, y2 - cy
    steps = [2 * math.pi * i / ELLIPSE_POINTS for i in range(ELLIPSE_POINTS)]
    return [
        [cx + math.cos(t) * ax + math.sin(t) * bx, cy + math.cos(t) * ay + math.sin(t) * by]
        for t in steps
    ]


def geometry(shape: str, numbers: list[float]) -> tuple[str, list] | str:
    """The portal's (shape, coordinates) for an iFDO shape, or why it cannot be."""
    count = len(numbers)
    if shape == "whole-image":
        return "whole", []
    if shape == "single-pixel":
        return ("point", numbers) if count == 2 else f"a single-pixel has 2 numbers, not {count}"
    if shape == "circle":
        return ("circle", numbers) if count == 3 else f"a circle has 3 numbers, not {count}"
    if shape in ("rectangle", "ellipse") and count != 8:
        return f"a {shape} has 8 numbers (four corners), not {count}"
    if shape == "rectangle":
        return rectangle(numbers)
    if shape == "ellipse":
        return "polygon", ellipse(numbers)
    if count % 2:
        return f"a {shape} needs x, y pairs, not {count} numbers"
    points = pairs(numbers)
    if shape == "polyline":
        return ("line", points) if len(points) >= 2 else "a polyline has 2 points or more"
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]  # iFDO closes polygons; the portal's are implicitly closed
    return ("polygon", points) if len(points) >= 3 else "a polygon has 3 points or more"


def created_at(value: Any) -> datetime | str | None:
    """An aware datetime, None when absent, or why the value is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return f"{short(value)} is not an ISO 8601 date and time"
    if not isinstance(value, datetime):
        return f"{short(value)} is not a date and time"
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_annotations(
    value: Any, layer: dict[str, Any], where: str, problems: list[str]
) -> list[AnnotationRecord]:
    """Records of one item's `image-annotations`; problems appended to `problems`."""
    if value is None:
        return []
    entries = value if isinstance(value, list) else [value]
    labels = lookup(layer.get("image-annotation-labels"), "id")
    creators = lookup(layer.get("image-annotation-creators"), "id")
    records: list[AnnotationRecord] = []
    for index, entry in enumerate(entries, 1):
        spot = f"{where}, image-annotations[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{spot}: expected a mapping of shape, coordinates and labels")
            continue
        found = _shape_of(entry, spot, problems)
        if found is None:
            continue
        shape, coordinates = found
        label_list = entry.get("labels")
        if not isinstance(label_list, list):
            problems.append(f"{spot}, field labels: expected a list of labels")
            continue
        for number, label in enumerate(label_list, 1):
            record = _label_record(label, f"{spot}, labels[{number}]", labels, creators, problems)
            if record is not None:
                record.shape, record.coordinates = shape, coordinates
                records.append(record)
    return records


def _shape_of(entry: dict[str, Any], spot: str, problems: list[str]) -> tuple[str, list] | None:
    numbers = flat_coordinates(entry.get("coordinates"), bool(entry.get("frames")))
    if numbers is None:
        problems.append(f"{spot}, field coordinates: expected [[x1, y1, x2, y2, ...]] in pixels")
        return None
    shape = entry.get("shape")
    if shape is None:  # iFDO 1.x files may leave it out: a point or the whole image
        shape = "single-pixel" if len(numbers) == 2 else "whole-image" if not numbers else None
    if shape not in SHAPES:
        problems.append(f"{spot}, field shape: {short(shape)} is not one of " + ", ".join(SHAPES))
        return None
    converted = geometry(shape, numbers)
    if isinstance(converted, str):
        problems.append(f"{spot}, field coordinates: {converted}")
        return None
    return converted


def _label_record(
    label: Any,
    spot: str,
    labels: dict[str, dict[str, Any]],
    creators: dict[str, dict[str, Any]],
    problems: list[str],
) -> AnnotationRecord | None:
    if not isinstance(label, dict):
        problems.append(f"{spot}: expected a mapping of label, annotator, created-at")
        return None
    key = next((label[k] for k in ("label", "id", "name") if label.get(k) not in (None, "")), None)
    if key is None:
        problems.append(f"{spot}, field label: missing")
        return None
    name = str(labels.get(str(key), {}).get("name") or key).strip()
    if len(name) > MAX_LABEL_LENGTH:
        problems.append(f"{spot}, field label: longer than {MAX_LABEL_LENGTH} characters")
        return None
    confidence = label.get("confidence")
    if confidence is not None and not (_number(confidence) and 0 <= confidence <= 1):
        problems.append(f"{spot}, field confidence: {short(confidence)} is not between 0 and 1")
        return None
    when = created_at(label.get("created-at"))
    if isinstance(when, str):
        problems.append(f"{spot}, field created-at: {when}")
        return None
    annotator = label.get("annotator")
    creator = creators.get(str(annotator), {}) if annotator not in (None, "") else {}
    machine = bool(_MACHINE.search(str(creator.get("type") or "")))
    return AnnotationRecord(
        label=name,
        where=spot,
        status="predicted"
        if machine or (confidence is not None and confidence < 1)
        else "validated",
        confidence=float(confidence) if confidence is not None else None,
        annotator=str(creator.get("name") or annotator or "")[:200],
        created_at=when,
    )
