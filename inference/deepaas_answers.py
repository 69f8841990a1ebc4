"""Reading a DEEPaaS module's prediction answer.

DEEPaaS leaves the answer's schema to each module. A module without a response
schema is answered as `{"status": "OK", "predictions": <what predict returned>}`
(deepaas/api/v2/predict.py); one with a schema answers its own object. The
shapes read here:

- classes as a list of `{"label" (or "class", "name"), "probability" (or
  "score", "confidence")}`; as parallel lists `{"labels", "probabilities"}`; or
  as planktonclas' and image-classification-tf's `{"pred_lab", "pred_prob"}`;
- detections as a list of entries with a `box`, either `{"x1", "y1", "x2",
  "y2"}` (Ultralytics' `Results.tojson()`, which the AI4OS YOLO module answers)
  or `[x0, y0, x1, y1]`, in the image's pixels;
- segmentations as a list of entries with an outline in the image's pixels,
  either Ultralytics' `segments` `{"x": [...], "y": [...]}` (what the AI4OS
  YOLOv8 module answers for its `seg` task, and the SOCIB beach-wrack module for
  each region it finds) or a `polygon` `[[x, y], ...]`; each becomes one region,
  clipped to the image. An outline without area (empty, as the beach-wrack
  module sends for a region without a mask, or the one or two points or the line
  a contour of a mask one pixel wide gives) is skipped.

A one-element list around the answer (one file sent) is unwrapped, and so is the
JSON text the YOLOv8 module sends for each file (`tojson()` gives text). Anything
else is refused with every problem named at once. Free of torch and Django.
"""

from __future__ import annotations

import json
import math
from typing import Any

from shapely.geometry import Polygon, box
from shapely.validation import make_valid

from inference.segmentation import largest

LABEL_KEYS = ("label", "name", "class")
CONFIDENCE_KEYS = ("confidence", "probability", "score")
TOP_SCORES = 3


class AnswerError(ValueError):
    """The answer cannot be read; the message names every problem."""


def read_answer(body: Any, *, task: str, width: int, height: int) -> list[dict]:
    """A classification as one finding (best label, confidence, top scores), or a
    detection as one finding per box, boxes clipped to the image."""
    entries = prediction_entries(body)
    if task == "detection":
        return read_detections(entries, width, height)
    if task == "segmentation":
        return read_regions(entries, width, height)
    return read_classes(entries)


def prediction_entries(body: Any) -> list[dict]:
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict):
        raise AnswerError(f"unexpected DEEPaaS answer: a {type(body).__name__}, not an object")
    if "predictions" in body:
        body = body["predictions"]
        if isinstance(body, list) and len(body) == 1 and isinstance(body[0], str):
            body = [json_text(body[0])]  # one `tojson()` text per file sent
        if isinstance(body, list) and len(body) == 1 and isinstance(body[0], list):
            body = body[0]  # one list of findings per file sent
    if isinstance(body, list):
        wrong = [i for i, entry in enumerate(body) if not isinstance(entry, dict)]
        if wrong:
            raise AnswerError(f"unexpected DEEPaaS answer: predictions {wrong} are not objects")
        return body
    if isinstance(body, dict) and "pred_lab" in body:
        return parallel(body, "pred_lab", "pred_prob")
    if isinstance(body, dict) and "labels" in body:
        return parallel(body, "labels", "probabilities")
    if isinstance(body, dict):
        raise AnswerError(f"unexpected DEEPaaS answer: keys {sorted(body)}")
    raise AnswerError(f"unexpected DEEPaaS answer: predictions are a {type(body).__name__}")


def json_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise AnswerError(
            f"unexpected DEEPaaS answer: the prediction is text that is not JSON ({error})"
        ) from error


def parallel(body: dict, labels_key: str, probabilities_key: str) -> list[dict]:
    labels, probabilities = body.get(labels_key), body.get(probabilities_key)
    if not isinstance(labels, list) or not isinstance(probabilities, list):
        raise AnswerError(
            f"unexpected DEEPaaS answer: {labels_key} and {probabilities_key} must be lists"
        )
    if len(labels) != len(probabilities):
        raise AnswerError(
            f"unexpected DEEPaaS answer: {len(labels)} {labels_key} "
            f"for {len(probabilities)} {probabilities_key}"
        )
    return [
        {"label": label, "probability": p} for label, p in zip(labels, probabilities, strict=True)
    ]


def label_and_confidence(entry: dict, problems: list[str], where: str) -> tuple[str, float] | None:
    label = next((entry[k] for k in LABEL_KEYS if isinstance(entry.get(k), str)), None)
    raw: Any = next((entry[k] for k in CONFIDENCE_KEYS if k in entry), None)
    if not label:
        problems.append(f"{where}: no label ({' or '.join(LABEL_KEYS)})")
    if not is_number(raw) or not 0.0 <= float(raw) <= 1.0:
        problems.append(f"{where}: confidence {raw!r} is not a number from 0 to 1")
        return None
    return (label, float(raw)) if label else None


def is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def read_classes(entries: list[dict]) -> list[dict]:
    problems: list[str] = []
    pairs = [
        pair
        for i, entry in enumerate(entries)
        if (pair := label_and_confidence(entry, problems, f"prediction {i}")) is not None
    ]
    if problems:
        raise AnswerError("unexpected DEEPaaS answer: " + "; ".join(problems))
    if not pairs:
        return []
    pairs.sort(key=lambda pair: -pair[1])
    label, confidence = pairs[0]
    scores = {name: round(p, 6) for name, p in pairs[:TOP_SCORES]}
    return [{"label": label, "confidence": confidence, "scores": scores}]


def read_box(raw: Any) -> list[float] | None:
    if isinstance(raw, dict):
        raw = [raw.get(k) for k in ("x1", "y1", "x2", "y2")]
    if isinstance(raw, list) and len(raw) == 4 and all(is_number(v) for v in raw):
        return [float(v) for v in raw]
    return None


def read_detections(entries: list[dict], width: int, height: int) -> list[dict]:
    problems: list[str] = []
    found: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        where = f"detection {i}"
        pair = label_and_confidence(entry, problems, where)
        box = read_box(entry.get("box"))
        if box is None:
            problems.append(f"{where}: box {entry.get('box')!r} is not x1, y1, x2, y2 in pixels")
            continue
        x0, y0 = max(0.0, box[0]), max(0.0, box[1])
        x1, y1 = min(float(width), box[2]), min(float(height), box[3])
        if x1 <= x0 or y1 <= y0:
            problems.append(f"{where}: box {box} holds no pixel of the {width}x{height} image")
            continue
        if pair is not None:
            label, confidence = pair
            box = [round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)]
            found.append({"label": label, "confidence": confidence, "box": box})
    if problems:
        raise AnswerError("unexpected DEEPaaS answer: " + "; ".join(problems))
    found.sort(key=lambda f: -f["confidence"])
    return found


def read_outline(entry: dict) -> tuple[list[list[float]] | None, str]:
    """The outline's points, or None and why not."""
    segments, polygon = entry.get("segments"), entry.get("polygon")
    if isinstance(segments, dict):
        xs, ys = segments.get("x"), segments.get("y")
        if not isinstance(xs, list) or not isinstance(ys, list) or len(xs) != len(ys):
            return None, f"segments {segments!r} are not x and y lists of one length"
        points: Any = [[x, y] for x, y in zip(xs, ys, strict=True)]
    elif isinstance(polygon, list):
        points = polygon
    else:
        return None, "no outline (segments {x, y} or polygon [[x, y], ...])"
    if not all(
        isinstance(point, list) and len(point) == 2 and all(is_number(v) for v in point)
        for point in points
    ):
        return None, "the outline's points are not pairs of finite numbers"
    return [[float(x), float(y)] for x, y in points], ""


def area_of(points: list[list[float]]) -> Polygon:
    """The outline as one simple polygon (a self-touching mask contour made valid,
    its largest part kept); empty when it has no area."""
    return largest(make_valid(Polygon(points))) if len(points) >= 3 else Polygon()


def clipped(outline: Polygon, width: int, height: int) -> list[list[float]] | None:
    """The outline's part inside the image, rounded as stored; None if no area of
    it is inside."""
    shape = largest(outline.intersection(box(0, 0, width, height)))
    if shape.is_empty or shape.area <= 0:
        return None
    rounded = [[round(x, 2), round(y, 2)] for x, y in shape.exterior.coords[:-1]]
    return rounded if len(rounded) >= 3 and Polygon(rounded).is_valid else None


def read_regions(entries: list[dict], width: int, height: int) -> list[dict]:
    problems: list[str] = []
    found: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        where = f"region {i}"
        pair = label_and_confidence(entry, problems, where)
        points, reason = read_outline(entry)
        if points is None:
            problems.append(f"{where}: {reason}")
            continue
        area = area_of(points)
        if area.is_empty or pair is None:
            continue  # nothing with an area traced, or its label already named
        outline = clipped(area, width, height)
        if outline is None:
            problems.append(f"{where}: its outline holds no area of the {width}x{height} image")
            continue
        xs, ys = [x for x, _ in outline], [y for _, y in outline]
        label, confidence = pair
        found.append(
            {
                "label": label,
                "confidence": confidence,
                "polygon": outline,
                "box": [min(xs), min(ys), max(xs), max(ys)],
            }
        )
    if problems:
        raise AnswerError("unexpected DEEPaaS answer: " + "; ".join(problems))
    found.sort(key=lambda f: -f["confidence"])
    return found
