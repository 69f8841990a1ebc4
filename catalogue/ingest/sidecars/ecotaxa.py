"""EcoTaxa import TSV: a header row, an optional `[t]`/`[f]` type row, one row per object.

Errors name the row and column; a repeated image keeps its first row's position
and time and collects every row's annotation, with a warning.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import UTC, date, datetime, time
from typing import Any

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.records import (
    ECOTAXA_TSV,
    MAX_LABEL_LENGTH,
    AnnotationRecord,
    ImageMetadata,
    SetMetadata,
    Sidecar,
)
from catalogue.ingest.sidecars.values import check_position, decode_text, nfc, short

_TYPE_CELL = re.compile(r"\[[tf]\]", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
#: Parsed as numbers even when the type row is missing or says [t]: the
#: catalogue needs them as numbers and EcoTaxa itself insists on it.
_ECOTAXA_NUMERIC = frozenset({"object_lat", "object_lon", "object_depth_min", "object_depth_max"})
_ECOTAXA_ANNOTATION = {
    "object_annotation_category": "category",
    "object_annotation_status": "status",
    "object_annotation_person_name": "person",
    "object_annotation_date": "date",
}
_ECOTAXA_STATUSES = ("predicted", "validated", "dubious")
#: EcoTaxa's own one-letter codes (classif_qual), as some exports write them.
ECOTAXA_STATUS_CODES = {"p": "predicted", "v": "validated", "d": "dubious"}
#: "Not identified": the object has no annotation.
_ECOTAXA_NO_ID = "noid"
_ECOTAXA_CONSUMED = frozenset(
    {"img_file_name", "object_date", "object_time", *_ECOTAXA_NUMERIC, *_ECOTAXA_ANNOTATION}
)


def parse_ecotaxa_tsv(data: bytes | str, *, name: str) -> Sidecar:
    """Read an EcoTaxa import TSV: header row, optional `[t]`/`[f]` type row, one row per object.

    EcoTaxa allows several objects (rows) per image; the first row gives the
    image's position and time and every row's annotation is kept under
    `fields["objects"]`, with a warning, so nothing is silently dropped.
    """
    text = decode_text(data, name)
    reader = csv.reader(io.StringIO(text, newline=""), dialect="excel-tab", strict=True)

    def rows():
        try:
            for cells in reader:
                if any(c.strip() for c in cells):
                    yield reader.line_num, cells
        except csv.Error as exc:
            raise IngestError(name, f"row {reader.line_num}: not valid TSV ({exc})") from None

    numbered = rows()
    try:
        _, header_cells = next(numbered)
    except StopIteration:
        raise IngestError(name, "is empty: an EcoTaxa TSV needs a header row") from None
    columns = _ecotaxa_columns(header_cells, name)

    warnings: list[str] = []
    images: dict[str, ImageMetadata] = {}
    first_row: dict[str, int] = {}
    first_object: dict[str, dict[str, Any]] = {}

    types: list[str] | None = None
    for row_no, cells in numbered:
        if types is None:
            types = _ecotaxa_types(cells, columns, row_no, name)
            if types is not None:
                continue  # that was the type row
            types = ["f" if c in _ECOTAXA_NUMERIC else "t" for c in columns]
        image, obj = _ecotaxa_row(cells, columns, types, row_no, name, warnings)
        key = image.file_name
        if key not in images:
            images[key] = image
            first_row[key] = row_no
            first_object[key] = obj
            continue
        kept = images[key]
        kept.annotations.extend(image.annotations)
        kept.fields.setdefault("objects", [first_object[key]]).append(obj)
        warnings.append(
            f"row {row_no}, img_file_name: {key!r} already on row {first_row[key]}; "
            f"position and time kept from row {first_row[key]}, this row's annotation "
            "added to fields['objects']"
        )
    if not images:
        warnings.append("no data rows: the file describes no images")
    return Sidecar(ECOTAXA_TSV, SetMetadata(), images, warnings, name=name)


def _ecotaxa_columns(cells: list[str], name: str) -> list[str]:
    """Lower-cased column names; refuses blanks and repeats, which make rows ambiguous."""
    columns = [c.strip().lower() for c in cells]
    while columns and not columns[-1]:
        columns.pop()  # a trailing tab
    seen: set[str] = set()
    for index, column in enumerate(columns, 1):
        if not column:
            raise IngestError(name, f"row 1, column {index}: the column has no name")
        if column in seen:
            raise IngestError(name, f"row 1, column {column}: the column appears twice")
        seen.add(column)
    if "img_file_name" not in seen:
        raise IngestError(
            name, "row 1: no img_file_name column (EcoTaxa TSV names each image file in it)"
        )
    return columns


def _ecotaxa_types(
    cells: list[str], columns: list[str], row_no: int, name: str
) -> list[str] | None:
    """The `[t]`/`[f]` letters of the type row, or None when this row is data.

    The type row is optional in practice (hand-made files lack it), so it is
    recognised by content: every non-empty cell is `[t]` or `[f]`.
    """
    values = [c.strip() for c in cells]
    filled = [v for v in values if v]
    if not filled or not all(_TYPE_CELL.fullmatch(v) for v in filled):
        return None
    if len(values) > len(columns) and any(values[len(columns) :]):
        raise IngestError(
            name, f"row {row_no}: type row has {len(filled)} types for {len(columns)} columns"
        )
    types = [v[1].lower() if v else "t" for v in values[: len(columns)]]
    types += ["t"] * (len(columns) - len(types))
    return [
        "f" if column in _ECOTAXA_NUMERIC else kind
        for column, kind in zip(columns, types, strict=True)
    ]


def _tsv_float(raw: str, where: str, name: str) -> float | None:
    """A `[f]` cell: empty and NaN mean "no value"; anything not a plain number is refused."""
    value = raw.strip()
    if not value or value.lower() == "nan":
        return None
    if not _NUMBER.fullmatch(value):
        raise IngestError(name, f"{where}: {short(value)} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise IngestError(name, f"{where}: {short(value)} is not a finite number")
    return number


def _tsv_date(raw: str, where: str, name: str) -> date | None:
    """YYYYMMDD, as EcoTaxa writes dates."""
    value = raw.strip()
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{8}", value):
            raise ValueError
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise IngestError(
            name, f"{where}: {short(value)} is not a valid date (expected YYYYMMDD)"
        ) from None


def _tsv_time(raw: str, where: str, name: str) -> time | None:
    """HHMMSS; five digits are taken as a leading zero lost by a spreadsheet."""
    value = raw.strip().replace(":", "")
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{5,6}", value):
            raise ValueError
        value = value.zfill(6)
        return time(int(value[:2]), int(value[2:4]), int(value[4:]))
    except ValueError:
        raise IngestError(
            name, f"{where}: {short(raw.strip())} is not a valid time (expected HHMMSS)"
        ) from None


def _ecotaxa_row(
    cells: list[str],
    columns: list[str],
    types: list[str],
    row_no: int,
    name: str,
    warnings: list[str],
) -> tuple[ImageMetadata, dict[str, Any]]:
    """One data row as an ImageMetadata plus its object record (for duplicates)."""
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        raise IngestError(name, f"row {row_no}: {len(cells)} values for {len(columns)} columns")
    cells = cells[: len(columns)] + [""] * (len(columns) - len(cells))
    raw = dict(zip(columns, cells, strict=True))

    def where(column: str) -> str:
        return f"row {row_no}, column {column}"

    typed: dict[str, Any] = {}
    for column, kind in zip(columns, types, strict=True):
        if kind == "f":
            typed[column] = _tsv_float(raw[column], where(column), name)
        else:
            typed[column] = raw[column].strip() or None

    file_name = nfc(raw["img_file_name"].strip())
    if not file_name:
        raise IngestError(name, f"{where('img_file_name')}: the image file name is empty")

    lat, lon = typed.get("object_lat"), typed.get("object_lon")
    check_position(name, f"row {row_no}", "column object_lat", lat, "column object_lon", lon)
    depth_min, depth_max = typed.get("object_depth_min"), typed.get("object_depth_max")
    if depth_min is not None and depth_max is not None and depth_min > depth_max:
        raise IngestError(
            name,
            f"{where('object_depth_min')}: {depth_min!r} is greater than "
            f"object_depth_max {depth_max!r}",
        )

    captured_at = None
    day = _tsv_date(raw.get("object_date", ""), where("object_date"), name)
    clock = _tsv_time(raw.get("object_time", ""), where("object_time"), name)
    if day is not None:
        captured_at = datetime.combine(day, clock or time(0), tzinfo=UTC)
    elif clock is not None:
        warnings.append(f"{where('object_time')}: a time without object_date was ignored")

    annotation, record = _ecotaxa_annotation(typed, raw, row_no, name)
    fields = {k: v for k, v in typed.items() if k not in _ECOTAXA_CONSUMED}
    image = ImageMetadata(
        file_name=file_name,
        captured_at=captured_at,
        latitude=lat,
        longitude=lon,
        depth_min=depth_min,
        depth_max=depth_max,
        fields=fields,
        annotation=annotation,
        annotations=[record] if record else [],
    )
    obj = {"row": row_no, "object_id": typed.get("object_id"), "annotation": annotation}
    return image, obj


def _ecotaxa_status(value: Any, where: str, name: str) -> str | None:
    """A status word or EcoTaxa's one-letter code; None for "noid" (not identified)."""
    if value is None:
        return None
    status = str(value).strip().lower()
    if status == _ECOTAXA_NO_ID:
        return None
    status = ECOTAXA_STATUS_CODES.get(status, status)
    if status not in _ECOTAXA_STATUSES:
        raise IngestError(
            name,
            f"{where}: status {short(status)} is not one of " + ", ".join(_ECOTAXA_STATUSES),
        )
    return status


def _ecotaxa_annotation(
    typed: dict[str, Any], raw: dict[str, str], row_no: int, name: str
) -> tuple[dict[str, Any] | None, AnnotationRecord | None]:
    """The row's annotation as kept in the image's fields, and as a record.

    An EcoTaxa object is a vignette of one organism: its label is the whole
    image's. A category without a status is a prediction (nobody vouched for it).
    """

    def where(column: str) -> str:
        return f"row {row_no}, column {column}"

    category = typed.get("object_annotation_category")
    status = _ecotaxa_status(
        typed.get("object_annotation_status"), where("object_annotation_status"), name
    )
    if category is None and status is None:
        return None, None
    annotation: dict[str, Any] = {"category": category, "status": status}
    person = typed.get("object_annotation_person_name")
    if person is not None:
        annotation["person"] = person
    annotated_on = _tsv_date(
        raw.get("object_annotation_date", ""), where("object_annotation_date"), name
    )
    annotated_at = _tsv_time(
        raw.get("object_annotation_time", ""), where("object_annotation_time"), name
    )
    if annotated_on is not None:
        annotation["date"] = annotated_on
    if category is None:
        return annotation, None
    label = str(category).strip()
    if len(label) > MAX_LABEL_LENGTH:
        raise IngestError(
            name,
            f"{where('object_annotation_category')}: the category is longer than "
            f"{MAX_LABEL_LENGTH} characters",
        )
    record = AnnotationRecord(
        label=label,
        where=f"row {row_no}",
        status=status or "predicted",
        annotator=str(person or "")[:200],
        created_at=(
            datetime.combine(annotated_on, annotated_at or time(0), tzinfo=UTC)
            if annotated_on is not None
            else None
        ),
    )
    return annotation, record
