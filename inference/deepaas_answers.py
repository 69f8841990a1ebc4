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
  or `[x0, y0, x1, y1]`, in the image's pixels.

A one-element list around the answer (one file sent) is unwrapped. Anything else
is refused with every problem named at once. Free of torch and Django.
"""

from __future__ import annotations

import math
from typing import Any

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
    return read_classes(entries)


def prediction_entries(body: Any) -> list[dict]:
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict):
        raise AnswerError(f"unexpected DEEPaaS answer: a {type(body).__name__}, not an object")
    if "predictions" in body:
        body = body["predictions"]
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
