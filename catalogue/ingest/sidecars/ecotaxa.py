"""EcoTaxa import TSV, read as EcoTaxa reads it (ecotaxa_back: BO/TSVFile.py, BO/Mappings.py).

The file: a header row of `table_field` columns (`object_`, `sample_`, `acq_`,
`process_`, `img_`), a type row of `[t]` (text) and `[f]` (number), one row per image
of an object. Values as EcoTaxa writes and reads them: dates YYYYMMDD (or YYYY-MM-DD);
times HHMMSS whose leading zeros a spreadsheet may have dropped (`420` is 00:04:20,
`93000` 09:30:00) or HH:MM:SS, with fractions of a second (`020139.315`); positions in
decimal degrees or `43°41 30`; "nan"/"na" for no number; an annotation status
(predicted, validated, dubious, discarded, or EcoTaxa's letters P, V, D, X; "noid"
for none), its person (`_person_name`, `_person_email`), date and time, its category
by name and EcoTaxa id (`object_annotation_category_id`); `img_rank` for several
images of one object. Every problem of the file is reported at once
(`records.SidecarProblems`, one `SidecarRefused`), each with its line, column and value.

Where this reads more leniently than EcoTaxa: the type row may be missing (only the
columns EcoTaxa itself treats as numbers are then numbers), `object_id` may be left
out (the image is then its own object), so may `sample_id` beside other sample
columns (they are kept on each image, as AquaCat's own export writes them), files
that are not UTF-8 are read as Windows-1252 with a warning, and a category without a
status is a prediction (EcoTaxa refuses it; hand-made files often have only a
category column).

What each image keeps (`ImageMetadata.fields`, flat, named as the columns are, so
Darwin Core export can make events and stations of samples and acquisitions):

    {"object_id": "m106_mn01_n1_sml_409", "img_rank": 0,
     "object_area": 516.0, ...,                           # the object's free columns
     "sample_id": "m106_mn01_n1_sml", "sample_stationid": "...", ...,  # its sample
     "acq_id": "...", "acq_instrument": "epson", ...,     # its acquisition
     "process_id": "...", "process_...": ...}             # its processing

Numbers of `[f]` columns are numbers; the sample, acquisition and process columns
are numbers where they read as numbers and text otherwise (EcoTaxa keeps them as
text). The annotation is kept as well under `annotation` ({"category", "category_id",
"status", "person", "email", "date", "time", "hierarchy"}, those given) and as an
`AnnotationRecord` on each image of the object. An image file on the rows of several
objects keeps the first row's position and time and lists every object under
`objects`, with a warning.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from catalogue.ingest.sidecars.records import (
    ECOTAXA_TSV,
    MAX_LABEL_LENGTH,
    AnnotationRecord,
    ImageMetadata,
    SetMetadata,
    Sidecar,
    SidecarProblems,
)
from catalogue.ingest.sidecars.values import (
    BadValue,
    decode_legacy_text,
    nfc,
    read_date,
    read_degrees,
    read_number,
    read_time,
)

#: The tables a column may belong to (its prefix), as EcoTaxa maps them.
TABLES = ("object", "sample", "acq", "process", "img")
#: Tables whose rows are parents of objects (sample, acquisition, process).
PARENTS = ("sample", "acq", "process")
#: Columns EcoTaxa defines without a table prefix.
OTHER_COLUMNS = frozenset({"complement_info"})
#: Read as numbers whatever the type row says: the catalogue needs them as numbers.
NUMERIC = frozenset({"object_lat", "object_lon", "object_depth_min", "object_depth_max"})
WHOLE_NUMBERS = frozenset({"img_rank", "object_annotation_category_id"})
DATES = frozenset({"object_date", "object_annotation_date"})
TIMES = frozenset({"object_time", "object_annotation_time"})
STATUSES = ("predicted", "validated", "dubious", "discarded")
#: EcoTaxa's own one-letter codes (classif_qual), as its exports write some of them.
ECOTAXA_STATUS_CODES = {"p": "predicted", "v": "validated", "d": "dubious", "x": "discarded"}
#: "Not identified": the object has no annotation.
NO_ID = "noid"
ANNOTATION = {
    "object_annotation_category": "category",
    "object_annotation_category_id": "category_id",
    "object_annotation_status": "status",
    "object_annotation_person_name": "person",
    "object_annotation_person_email": "email",
    "object_annotation_date": "date",
    "object_annotation_time": "time",
    "object_annotation_hierarchy": "hierarchy",
}
#: Columns that become the image's own attributes or its annotation, not free fields.
CONSUMED = frozenset({"img_file_name", "object_date", "object_time", *NUMERIC, *ANNOTATION})


@dataclass
class _Reading:
    """The state of one file's reading: its problems, warnings and what it found."""

    name: str
    problems: SidecarProblems
    warnings: list[str] = field(default_factory=list)
    images: dict[str, ImageMetadata] = field(default_factory=dict)
    first_line: dict[str, int] = field(default_factory=dict)
    first_object: dict[str, dict[str, Any]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)  # (object, file) -> line
    ranks: dict[str, set[int]] = field(default_factory=dict)  # object -> ranks taken
    parents: dict[str, tuple[str, int]] = field(default_factory=dict)  # acq -> (sample, line)


def parse_ecotaxa_tsv(data: bytes | str, *, name: str) -> Sidecar:
    """Read an EcoTaxa import TSV into records; `SidecarRefused` naming every problem."""
    problems = SidecarProblems(name)
    reading = _Reading(name, problems)
    text, warning = decode_legacy_text(data, name)
    if warning:
        reading.warnings.append(warning)
    records = _records(text, problems)
    if not records:
        problems.add("the file is empty: an EcoTaxa TSV needs a header row and one row per image")
        problems.raise_if_any()
    header_line, header = records[0]
    columns = _columns(header, header_line, problems)
    body = records[1:]
    types = _types(body[0][1], columns, body[0][0], problems) if body else None
    if types is not None:
        body = body[1:]
    else:
        types = ["f" if c in NUMERIC else "t" for c in columns]
    if "img_file_name" not in columns:
        raise problems.fatal("no img_file_name column (EcoTaxa names each image file in it)")
    if not body:
        problems.add("no data rows: the file describes no images")
    for line, cells in body:
        _row(reading, line, cells, columns, types)
    problems.raise_if_any()
    return Sidecar(ECOTAXA_TSV, SetMetadata(), reading.images, reading.warnings, name=name)


def _records(text: str, problems: SidecarProblems) -> list[tuple[int, list[str]]]:
    """Non-blank TSV records with the line each starts on; broken quoting stops the reading."""
    reader = csv.reader(io.StringIO(text, newline=""), dialect="excel-tab", strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise problems.fatal(f"not valid TSV ({exc})", line=start) from None
    return records


def _columns(cells: list[str], line: int, problems: SidecarProblems) -> list[str]:
    """Lower-cased column names; blanks, repeats and names EcoTaxa refuses are problems."""
    columns = [cell.strip().lower() for cell in cells]
    while columns and not columns[-1]:
        columns.pop()  # a trailing tab
    seen: set[str] = set()
    for index, column in enumerate(columns, 1):
        if not column:
            problems.add("the column has no name", line=line, column=f"#{index}")
        elif column in seen:
            problems.add("the column appears twice", line=line, column=column)
        elif column not in OTHER_COLUMNS and "_" not in column:
            problems.add("is not a column name (expected table_field)", line=line, column=column)
        elif column not in OTHER_COLUMNS and column.split("_", 1)[0] not in TABLES:
            problems.add(
                "has an unknown table prefix (expected " + ", ".join(TABLES) + ")",
                line=line,
                column=column,
            )
        seen.add(column)
    return columns


def _types(
    cells: list[str], columns: list[str], line: int, problems: SidecarProblems
) -> list[str] | None:
    """The `t`/`f` of each column from the type row, or None when this row is data.

    The type row is recognised by its content (every filled cell is `[x]`), since
    hand-made files often lack it; EcoTaxa checks the types of object columns only.
    """
    values = [cell.strip() for cell in cells]
    filled = [v for v in values if v]
    if not filled or not all(v.startswith("[") and v.endswith("]") for v in filled):
        return None
    values = values[: len(columns)] + [""] * (len(columns) - len(values))
    types = []
    for column, value in zip(columns, values, strict=True):
        kind = value.lower()
        if kind not in ("", "[t]", "[f]"):
            if column.startswith("object_") and column not in ANNOTATION:
                problems.add(
                    "is not a type ([t] for text, [f] for numbers)",
                    line=line,
                    column=column,
                    value=value,
                )
            kind = "[t]"
        types.append("f" if column in NUMERIC or kind == "[f]" else "t")
    return types


def _cell(column: str, kind: str, raw: str) -> Any:
    """One cell as the catalogue keeps it; BadValue with the reason."""
    value = raw.strip()
    if column in ("object_lat", "object_lon"):
        return read_degrees(value, 90 if column == "object_lat" else 180)
    if column in WHOLE_NUMBERS:
        number = read_number(value)
        if number is not None and (number < 0 or number != int(number)):
            raise BadValue("is not a whole number")
        return None if number is None else int(number)
    if column in DATES:
        return read_date(value)
    if column in TIMES:
        return read_time(value)
    if column.startswith(PARENTS) and kind == "f":
        try:  # EcoTaxa keeps these as text: a number where it reads as one
            return read_number(value)
        except BadValue:
            return value
    if kind == "f":
        return read_number(value)
    return value or None


def _row(
    reading: _Reading, line: int, cells: list[str], columns: list[str], types: list[str]
) -> None:
    """Check one data row, note every problem, and add its image when it has none."""
    problems = reading.problems
    before = len(problems)
    extra = [cell.strip() for cell in cells[len(columns) :] if cell.strip()]
    if extra:
        problems.add("value(s) in a column with no header", line=line, value="\t".join(extra))
    cells = cells[: len(columns)] + [""] * (len(columns) - len(cells))
    typed: dict[str, Any] = {}
    for column, kind, raw in zip(columns, types, cells, strict=True):
        try:
            typed[column] = _cell(column, kind, raw)
        except BadValue as bad:
            problems.add(str(bad), line=line, column=column, value=raw)
            typed[column] = None
    file_name = nfc(str(typed.get("img_file_name") or ""))
    if not file_name:
        problems.add("the image file name is empty", line=line, column="img_file_name")
    else:
        problems.names.add(file_name)
    object_id = typed.get("object_id")
    if "object_id" in columns and not object_id:
        problems.add("the object has no id", line=line, column="object_id")
    depth_min, depth_max = typed.get("object_depth_min"), typed.get("object_depth_max")
    if depth_min is not None and depth_max is not None and depth_min > depth_max:
        problems.add(
            f"is greater than object_depth_max {depth_max:g}",
            line=line,
            column="object_depth_min",
            value=f"{depth_min:g}",
        )
    annotation, record = _annotation(typed, line, problems)
    _check_hierarchy(reading, typed, line)
    if file_name:
        pair = (str(object_id or file_name), file_name)
        if pair in reading.pairs:
            problems.add(
                f"object {pair[0]!r} with this image is already on line {reading.pairs[pair]}",
                line=line,
                column="img_file_name",
                value=file_name,
            )
        reading.pairs.setdefault(pair, line)
    if len(problems) > before or not file_name:
        return
    _keep(reading, line, file_name, typed, annotation, record)


def _annotation(
    typed: dict[str, Any], line: int, problems: SidecarProblems
) -> tuple[dict[str, Any] | None, AnnotationRecord | None]:
    """The row's annotation as kept in fields, and as a record (None when discarded).

    An EcoTaxa object is a vignette of one organism: its label is the whole image's.
    """
    raw_status = typed.get("object_annotation_status")
    status = None
    if raw_status is not None and str(raw_status).lower() != NO_ID:
        status = ECOTAXA_STATUS_CODES.get(str(raw_status).lower(), str(raw_status).lower())
        if status not in STATUSES:
            problems.add(
                "is not an annotation status (" + ", ".join(STATUSES) + ", or noid)",
                line=line,
                column="object_annotation_status",
                value=raw_status,
            )
            return None, None
    category = typed.get("object_annotation_category")
    category_id = typed.get("object_annotation_category_id")
    if status and category is None and category_id is None:
        problems.add(
            "an annotation status needs a category (object_annotation_category)",
            line=line,
            column="object_annotation_status",
            value=raw_status,
        )
    if category is not None and len(str(category)) > MAX_LABEL_LENGTH:
        problems.add(
            f"is longer than {MAX_LABEL_LENGTH} characters",
            line=line,
            column="object_annotation_category",
            value=category,
        )
    if status is None and category is None and category_id is None:
        return None, None
    if status is None:  # a category nobody vouched for: a prediction
        status = "predicted"
    annotation = {
        key: typed[column]
        for column, key in ANNOTATION.items()
        if typed.get(column) is not None and key != "status"
    }
    annotation["status"] = status
    if category is None or status == "discarded":
        return annotation, None
    day, clock = typed.get("object_annotation_date"), typed.get("object_annotation_time")
    person = typed.get("object_annotation_person_name") or typed.get(
        "object_annotation_person_email"
    )
    record = AnnotationRecord(
        label=str(category).strip(),
        where=f"line {line}",
        status=status,
        annotator=str(person or "")[:200],
        created_at=datetime.combine(day, clock or time(0), tzinfo=UTC) if day else None,
    )
    return annotation, record


def _check_hierarchy(reading: _Reading, typed: dict[str, Any], line: int) -> None:
    """An acquisition belongs to one sample, as in EcoTaxa's project tree."""
    sample, acquisition = typed.get("sample_id"), typed.get("acq_id")
    if sample is None or acquisition is None:
        return
    known = reading.parents.setdefault(str(acquisition), (str(sample), line))
    if known[0] != str(sample):
        reading.problems.add(
            f"acquisition {acquisition!r} is already in sample {known[0]!r} (line {known[1]})",
            line=line,
            column="sample_id",
            value=sample,
        )


def _keep(
    reading: _Reading,
    line: int,
    file_name: str,
    typed: dict[str, Any],
    annotation: dict[str, Any] | None,
    record: AnnotationRecord | None,
) -> None:
    """Add a checked row: a new image, or one more object of an image already read."""
    object_id = str(typed.get("object_id") or file_name)
    rank = _rank(reading, object_id, typed.get("img_rank"), line)
    # Empty cells are kept as None: a corrected sidecar clears what it empties.
    fields = {k: v for k, v in typed.items() if k not in CONSUMED}
    if "img_rank" in typed or "object_id" in typed:
        fields["img_rank"] = rank
    day, clock = typed.get("object_date"), typed.get("object_time")
    if day is None and clock is not None:
        reading.warnings.append(f"line {line}, object_time: a time without object_date was ignored")
    image = ImageMetadata(
        file_name=file_name,
        captured_at=datetime.combine(day, clock or time(0), tzinfo=UTC) if day else None,
        latitude=typed.get("object_lat"),
        longitude=typed.get("object_lon"),
        depth_min=typed.get("object_depth_min"),
        depth_max=typed.get("object_depth_max"),
        fields=fields,
        annotation=annotation,
        annotations=[record] if record else [],
    )
    obj = {"row": line, "object_id": typed.get("object_id"), "annotation": annotation}
    if file_name not in reading.images:
        reading.images[file_name] = image
        reading.first_line[file_name] = line
        reading.first_object[file_name] = obj
        return
    first = reading.first_line[file_name]
    kept = reading.images[file_name]
    kept.annotations.extend(image.annotations)
    kept.fields.setdefault("objects", [reading.first_object[file_name]]).append(obj)
    reading.warnings.append(
        f"line {line}, img_file_name: {file_name!r} already on line {first}; position and "
        f"time kept from line {first}, this row's object added to fields['objects']"
    )


def _rank(reading: _Reading, object_id: str, rank: int | None, line: int) -> int:
    """The image's rank among its object's images; a taken or missing one gets the next."""
    taken = reading.ranks.setdefault(object_id, set())
    if rank is None or rank in taken:
        if rank is not None:
            reading.warnings.append(
                f"line {line}, img_rank: rank {rank} of object {object_id!r} is taken; "
                f"{max(taken) + 1} used instead"
            )
        rank = max(taken) + 1 if taken else 0
    taken.add(rank)
    return rank
