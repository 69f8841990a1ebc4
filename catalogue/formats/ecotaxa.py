"""EcoTaxa TSV of a set's images: what `catalogue.ingest.sidecars.parse_ecotaxa_tsv` reads.

Row 1 names the columns, row 2 gives their `[t]`/`[f]` types, then one row per
image. Position, depth and time (UTC) come from the image's catalogue fields.
The annotation columns (category, status, person, date) come from the image's
annotation rows: EcoTaxa classifies an object once, so the row written is the
most decided one (validated, then dubious, then predicted; the latest first),
its person the reviewer who decided it (else who made it) and its date that of
the decision. An image whose rows are as its sidecar gave them is written from
the sidecar annotation kept in its fields (catalogue/formats/annotations.py).
Every free EcoTaxa field (`object_*`, `sample_*`, `acq_*`, `process_*`) kept
at ingest is written back with its type. Values holding tabs or newlines are
quoted the way Python's csv (tab dialect) reads them back.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

from catalogue.formats import annotations as sources
from catalogue.models import Image, ImageSet

FREE_PREFIXES = ("object_", "sample_", "acq_", "process_")
#: Columns always written, with their types, in this order.
FIXED = [
    ("img_file_name", "t"),
    ("object_id", "t"),
    ("object_lat", "f"),
    ("object_lon", "f"),
    ("object_depth_min", "f"),
    ("object_depth_max", "f"),
    ("object_date", "t"),
    ("object_time", "t"),
    ("object_annotation_category", "t"),
    ("object_annotation_status", "t"),
]
#: Annotation columns written only when some image has them: column -> annotation key.
OPTIONAL_ANNOTATION = {
    "object_annotation_person_name": "person",
    "object_annotation_date": "date",
}
_TAKEN = {name for name, _ in FIXED} | set(OPTIONAL_ANNOTATION)
#: Which annotation row an image's EcoTaxa row gives: the most decided.
_DECIDED = {"validated": 0, "dubious": 1, "predicted": 2}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    """One cell: empty for None, shortest exact repr for numbers, JSON for structures."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _number(value):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _ecotaxa_date(value: Any) -> str:
    """YYYYMMDD from a date or an ISO 8601 string (how ingest stores annotation dates)."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y%m%d")
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%Y%m%d")
    except ValueError:
        return str(value)


def _depths(image: Image) -> tuple[float | None, float | None]:
    fields = image.fields or {}
    if "depth_min" in fields or "depth_max" in fields:
        return fields.get("depth_min"), fields.get("depth_max")
    return image.depth, image.depth


def _sidecar_annotation(image: Image) -> dict[str, Any]:
    value = (image.fields or {}).get("annotation")
    return value if isinstance(value, dict) else {}


def _from_rows(rows: list[sources.Exported]) -> dict[str, Any]:
    row = min(rows, key=lambda r: (_DECIDED.get(r.status, 3), -r.decided.timestamp()))
    out: dict[str, Any] = {"category": row.label.name, "status": row.status}
    if row.person:
        out["person"] = row.person
    out["date"] = row.decided.astimezone(UTC)
    return out


def _annotations(images: list[Image], found: sources.SetAnnotations) -> dict[int, dict]:
    """Per image, its annotation as the columns say it."""
    out = {}
    for image in images:
        rows = found.of(image, dict)
        out[image.pk] = _sidecar_annotation(image) if rows is None else _from_rows(rows)
    return out


def _free_fields(image: Image) -> dict[str, Any]:
    return {
        k: v
        for k, v in (image.fields or {}).items()
        if k.startswith(FREE_PREFIXES) and k not in _TAKEN
    }


def _row(image: Image, annotation: dict, optional: list[str], free: list[str]) -> list[str]:
    depth_min, depth_max = _depths(image)
    when = image.captured_at.astimezone(UTC) if image.captured_at else None
    fields = image.fields or {}
    object_id = fields.get("object_id") or image.file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    cells = [
        image.file_name,
        _cell(object_id),
        _cell(image.latitude),
        _cell(image.longitude),
        _cell(depth_min),
        _cell(depth_max),
        when.strftime("%Y%m%d") if when else "",
        when.strftime("%H%M%S") if when else "",
        _cell(annotation.get("category")),
        _cell(annotation.get("status")),
    ]
    for column in optional:
        key = OPTIONAL_ANNOTATION[column]
        value = annotation.get(key)
        cells.append(_ecotaxa_date(value) if key == "date" else _cell(value))
    cells += [_cell(fields.get(column)) for column in free]
    return cells


def to_tsv(image_set: ImageSet, *, base: str | None = None) -> str:
    """The set's images as an EcoTaxa import TSV (UTF-8 text, CRLF rows)."""
    images = list(image_set.images.order_by("file_name", "pk"))
    annotations = _annotations(images, sources.read(image_set))
    optional = [
        column
        for column, key in OPTIONAL_ANNOTATION.items()
        if any(annotations[i.pk].get(key) not in (None, "") for i in images)
    ]
    kinds: dict[str, str] = {}
    for image in images:
        for key, value in _free_fields(image).items():
            if value is None:
                kinds.setdefault(key, "f")
            elif not _number(value):
                kinds[key] = "t"
    # A column with no value at all is text: nothing to say it is a number.
    free = sorted(kinds)
    for key in free:
        if not any(_number((i.fields or {}).get(key)) for i in images):
            kinds[key] = "t"

    out = io.StringIO()
    writer = csv.writer(out, dialect="excel-tab")
    columns = [name for name, _ in FIXED] + optional + free
    types = [kind for _, kind in FIXED] + ["t"] * len(optional) + [kinds[k] for k in free]
    writer.writerow(columns)
    writer.writerow(f"[{kind}]" for kind in types)
    for image in images:
        writer.writerow(_row(image, annotations[image.pk], optional, free))
    return out.getvalue()
