"""BIIGLE's two CSV files read into Sidecars.

- The image annotation report: one row per label of an annotation (label_name,
  firstname, lastname, filename, shape_name, points, created_at, ...), each one
  record on its image. BIIGLE's shapes are iFDO's under other names, so their
  geometry is converted as iFDO's (ifdo_annotations.py); labels made in BIIGLE
  are people's: validated.
- The image metadata CSV a volume takes on upload: filename, taken_at, lat, lng,
  gps_altitude, distance_to_ground, area, yaw, under the column synonyms BIIGLE's
  own parser knows (biigle/core, CsvParser::COLUMN_SYNONYMS), with BIIGLE's
  checks (lat and lng together and in range, yaw within [0, 360]). A negative
  gps_altitude is a depth, as in iFDO; the other values stay in the image fields.

Both report every problem at once, each with its line, column and value; a file
that is not UTF-8 is read as Windows-1252 (what spreadsheets on Windows write)
with a warning.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
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
    SidecarProblems,
)
from catalogue.ingest.sidecars.values import BadValue, decode_legacy_text, nfc, read_number

BIIGLE_METADATA_CSV = "biigle-metadata-csv"
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
#: BIIGLE's column synonyms (CsvParser::COLUMN_SYNONYMS), the SUB/OFOP names among them.
SYNONYMS = {
    "file": "filename",
    "lon": "lng",
    "longitude": "lng",
    "latitude": "lat",
    "heading": "yaw",
    "sub_datetime": "taken_at",
    "sub_longitude": "lng",
    "sub_latitude": "lat",
    "sub_heading": "yaw",
    "sub_distance": "distance_to_ground",
    "sub_altitude": "gps_altitude",
}
METADATA_COLUMNS = ("taken_at", "lat", "lng", "gps_altitude", "distance_to_ground", "area", "yaw")
#: Values kept in the image fields under BIIGLE's names.
KEPT = ("gps_altitude", "distance_to_ground", "area", "yaw")


def metadata_columns(first_line: str) -> list[str]:
    """A header line's columns as BIIGLE reads them: lower case, trimmed, synonyms resolved."""
    cells = next(csv.reader([first_line]), [])
    return [SYNONYMS.get(c.strip().lower(), c.strip().lower()) for c in cells]


def _rows(
    text: str, problems: SidecarProblems
) -> Iterator[tuple[int, list[str]]]:  # (first line, cells)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise problems.fatal(f"not valid CSV ({exc})", line=start) from None


def _decode(data: bytes | str, problems: SidecarProblems) -> tuple[str, list[str]]:
    try:
        text, warning = decode_legacy_text(data, problems.file)
    except IngestError as error:  # UTF-16: say so rather than guess
        raise problems.fatal(error.reason) from None
    return text, [warning] if warning else []


# --- the image annotation report -------------------------------------------------------------


def parse_biigle_csv(data: bytes | str, *, name: str) -> Sidecar:
    """Read a BIIGLE image annotation CSV report."""
    problems = SidecarProblems(name)
    text, warnings = _decode(data, problems)
    rows = _rows(text, problems)
    first = next(rows, None)
    columns = [c.strip().lower() for c in first[1]] if first else []
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise problems.fatal(f"no {', '.join(missing)} column (a BIIGLE CSV report has)", line=1)
    images: dict[str, ImageMetadata] = {}
    for line, cells in rows:
        row = dict(zip(columns, cells, strict=False))
        file_name = nfc((row.get("filename") or "").strip())
        if not file_name:
            problems.add("the image file name is empty", line=line, column="filename")
            continue
        problems.names.add(file_name)
        record = _record(row, line, problems)
        image = images.setdefault(file_name, ImageMetadata(file_name=file_name))
        if record is not None:
            image.annotations.append(record)
    problems.raise_if_any()
    if not images:
        warnings.append("no data rows: the file describes no images")
    return Sidecar(BIIGLE_CSV, SetMetadata(), images, warnings, name=name)


def _record(row: dict, line: int, problems: SidecarProblems) -> AnnotationRecord | None:
    label = (row.get("label_name") or "").strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        problems.add(
            f"expected 1 to {MAX_LABEL_LENGTH} characters",
            line=line,
            column="label_name",
            value=label,
        )
        return None
    shape_name = row.get("shape_name") or ""
    shape = SHAPES.get(shape_name.strip().lower())
    if shape is None:
        problems.add(
            "is not one of Point, LineString, Polygon, Circle, Rectangle, Ellipse, WholeFrame",
            line=line,
            column="shape_name",
            value=shape_name,
        )
        return None
    points = row.get("points") or "[]"
    try:
        numbers = flat_coordinates(json.loads(points), frames=True)
    except json.JSONDecodeError:
        numbers = None
    if numbers is None:
        problems.add(
            "expected [x1, y1, x2, y2, ...] in pixels", line=line, column="points", value=points
        )
        return None
    converted = geometry(shape, numbers)
    if isinstance(converted, str):
        problems.add(converted, line=line, column="points", value=points)
        return None
    created = None
    if (row.get("created_at") or "").strip():
        try:
            created = datetime.fromisoformat(row["created_at"].strip())
        except ValueError:
            problems.add("is not a date", line=line, column="created_at", value=row["created_at"])
            return None
        created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
    person = f"{row.get('firstname') or ''} {row.get('lastname') or ''}".strip()
    return AnnotationRecord(
        label=label,
        where=f"line {line}",
        shape=converted[0],
        coordinates=converted[1],
        status="validated",
        annotator=person[:200],
        created_at=created,
    )


# --- the image metadata CSV ------------------------------------------------------------------


def parse_biigle_metadata_csv(data: bytes | str, *, name: str) -> Sidecar:
    """Read a BIIGLE image metadata CSV (one row per image)."""
    problems = SidecarProblems(name)
    text, warnings = _decode(data, problems)
    rows = _rows(text, problems)
    first = next(rows, None)
    header = [c.strip().lower() for c in first[1]] if first else []
    columns = [SYNONYMS.get(c, c) for c in header]
    if "filename" not in columns:
        raise problems.fatal("no filename (or file) column: BIIGLE requires it", line=1)
    for column in sorted({c for c in columns if columns.count(c) > 1}):
        # BIIGLE keeps the last of them; say so, since the others are lost.
        warnings.append(f"line 1: {column!r} is given by several columns; the last is used")
    unknown = [c for c in header if SYNONYMS.get(c, c) not in ("filename", *METADATA_COLUMNS)]
    if unknown:
        warnings.append(f"line 1: column(s) {', '.join(unknown)} are not BIIGLE's and were ignored")
    images: dict[str, ImageMetadata] = {}
    first_line: dict[str, int] = {}
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        row = dict(zip(columns, cells, strict=False))
        file_name = nfc((row.get("filename") or "").strip())
        if not file_name:
            problems.add("the image file name is empty", line=line, column="filename")
            continue
        problems.names.add(file_name)
        if file_name in first_line:
            problems.add(
                f"the image is described again (first on line {first_line[file_name]})",
                line=line,
                column="filename",
                value=file_name,
            )
            continue
        first_line[file_name] = line
        image = _metadata(file_name, row, line, problems)
        if image is not None:
            images[file_name] = image
    problems.raise_if_any()
    if not first_line:
        warnings.append("no data rows: the file describes no images")
    return Sidecar(BIIGLE_METADATA_CSV, SetMetadata(), images, warnings, name=name)


def _metadata(
    file_name: str, row: dict[str, str], line: int, problems: SidecarProblems
) -> ImageMetadata | None:
    found = len(problems)
    values: dict[str, float | None] = {}
    for column in ("lat", "lng", *KEPT):
        raw = row.get(column) or ""
        try:
            values[column] = read_number(raw)
        except BadValue as bad:
            problems.add(str(bad), line=line, column=column, value=raw)
    lat, lng, yaw = values.get("lat"), values.get("lng"), values.get("yaw")
    if lat is not None and not -90 <= lat <= 90:
        problems.add("is no valid latitude ([-90, 90])", line=line, column="lat", value=row["lat"])
    if lng is not None and not -180 <= lng <= 180:
        problems.add(
            "is no valid longitude ([-180, 180])", line=line, column="lng", value=row["lng"]
        )
    if (lat is None) != (lng is None) and "lat" in values and "lng" in values:
        missing = "lng" if lng is None else "lat"
        problems.add("is missing: lat and lng go together", line=line, column=missing)
    if yaw is not None and not 0 <= yaw <= 360:
        problems.add(
            "is no valid yaw ([0, 360] degrees)", line=line, column="yaw", value=row["yaw"]
        )
    captured_at = None
    raw_time = (row.get("taken_at") or "").strip()
    if raw_time:
        try:
            captured_at = datetime.fromisoformat(raw_time)
        except ValueError:
            problems.add(
                "is no valid date (expected YYYY-MM-DD HH:MM:SS)",
                line=line,
                column="taken_at",
                value=raw_time,
            )
        else:
            if captured_at.tzinfo is None:  # BIIGLE stores times as UTC
                captured_at = captured_at.replace(tzinfo=UTC)
    if len(problems) > found:
        return None
    altitude = values.get("gps_altitude")
    depth = -altitude if altitude is not None and altitude <= 0 else None
    return ImageMetadata(
        file_name=file_name,
        captured_at=captured_at,
        latitude=lat,
        longitude=lng,
        depth_min=depth,
        depth_max=depth,
        fields={key: values[key] for key in KEPT if values.get(key) is not None},
    )
