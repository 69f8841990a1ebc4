"""BIIGLE's CSV report of image annotations read into a Sidecar: one row per label of
an annotation (label_name, firstname, lastname, filename, shape_name, points,
created_at, ...), each one record on its image.

BIIGLE's shapes are iFDO's under other names, so their geometry is converted as
iFDO's (catalogue/ingest/sidecars/ifdo_annotations.py). Labels made in BIIGLE are
people's: validated. Errors name the line and the column, all at once.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.ifdo_annotations import flat_coordinates, geometry
from catalogue.ingest.sidecars.records import (
    BIIGLE_CSV,
    MAX_LABEL_LENGTH,
    AnnotationRecord,
    ImageMetadata,
    SetMetadata,
    Sidecar,
)
from catalogue.ingest.sidecars.values import decode_text, nfc, problems_text, short

REQUIRED = ("label_name", "filename", "shape_name", "points")
#: BIIGLE shape name -> iFDO shape name.
SHAPES = {
    "point": "single-pixel",
    "linestring": "polyline",
    "polygon": "polygon",
    "circle": "circle",
    "rectangle": "rectangle",
    "ellipse": "ellipse",
    "wholeframe": "whole-image",
}


def parse_biigle_csv(data: bytes | str, *, name: str) -> Sidecar:
    """Read a BIIGLE image annotation CSV report."""
    reader = csv.DictReader(io.StringIO(decode_text(data, name), newline=""), strict=True)
    try:
        columns = [c.strip().lower() for c in reader.fieldnames or []]
    except csv.Error as exc:
        raise IngestError(name, f"line 1: not valid CSV ({exc})") from None
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise IngestError(name, f"line 1: no {', '.join(missing)} column (a BIIGLE CSV report has)")
    reader.fieldnames = columns
    images: dict[str, ImageMetadata] = {}
    problems: list[str] = []
    try:
        for row in reader:
            spot = f"line {reader.line_num}"
            file_name = nfc((row.get("filename") or "").strip())
            if not file_name:
                problems.append(f"{spot}, column filename: the image file name is empty")
                continue
            record = _record(row, spot, problems)
            image = images.setdefault(file_name, ImageMetadata(file_name=file_name))
            if record is not None:
                image.annotations.append(record)
    except csv.Error as exc:
        raise IngestError(name, f"line {reader.line_num}: not valid CSV ({exc})") from None
    if problems:
        raise IngestError(name, problems_text(problems))
    warnings = [] if images else ["no data rows: the file describes no images"]
    return Sidecar(BIIGLE_CSV, SetMetadata(), images, warnings, name=name)


def _record(row: dict, spot: str, problems: list[str]) -> AnnotationRecord | None:
    label = (row.get("label_name") or "").strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        problems.append(f"{spot}, column label_name: expected 1 to {MAX_LABEL_LENGTH} characters")
        return None
    shape = SHAPES.get((row.get("shape_name") or "").strip().lower())
    if shape is None:
        problems.append(
            f"{spot}, column shape_name: {short(row.get('shape_name'))} is not one of "
            "Point, LineString, Polygon, Circle, Rectangle, Ellipse, WholeFrame"
        )
        return None
    try:
        numbers = flat_coordinates(json.loads(row.get("points") or "[]"), frames=True)
    except json.JSONDecodeError:
        numbers = None
    if numbers is None:
        problems.append(f"{spot}, column points: expected [x1, y1, x2, y2, ...] in pixels")
        return None
    converted = geometry(shape, numbers)
    if isinstance(converted, str):
        problems.append(f"{spot}, column points: {converted}")
        return None
    created = None
    if (row.get("created_at") or "").strip():
        try:
            created = datetime.fromisoformat(row["created_at"].strip())
        except ValueError:
            problems.append(f"{spot}, column created_at: {short(row['created_at'])} is not a date")
            return None
        created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
    person = f"{row.get('firstname') or ''} {row.get('lastname') or ''}".strip()
    return AnnotationRecord(
        label=label,
        where=spot,
        shape=converted[0],
        coordinates=converted[1],
        status="validated",
        annotator=person[:200],
        created_at=created,
    )
