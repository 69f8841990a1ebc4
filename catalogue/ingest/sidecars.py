"""Metadata sidecars: EcoTaxa TSV and iFDO (YAML or JSON) read into plain records.

Uploads often come with a file that says where, when and what each image is.
These parsers turn such a file into plain Python records and never touch the
database, so ingestion can match them to images later and they can be tested
on their own. Every rejection is an `IngestError` naming the file and, inside
it, the row or item and the field, because the person who fixes the file needs
to find the spot; anything that is odd but usable becomes a warning instead.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import yaml

from catalogue.ingest.errors import IngestError

__all__ = [
    "ECOTAXA_TSV",
    "IFDO",
    "MAX_IFDO_BYTES",
    "ImageMetadata",
    "SetMetadata",
    "Sidecar",
    "parse_ecotaxa_tsv",
    "parse_ifdo",
    "parse_sidecar",
    "sniff_sidecar",
]

ECOTAXA_TSV = "ecotaxa-tsv"
IFDO = "ifdo"

#: iFDO documents larger than this are refused before parsing: YAML parsing
#: is slow and memory-hungry, and no honest image set needs more.
MAX_IFDO_BYTES = 50 * 1024 * 1024

#: How much of a file `parse_sidecar` shows to `sniff_sidecar`.
SNIFF_BYTES = 64 * 1024


@dataclass
class ImageMetadata:
    """What a sidecar says about one image file."""

    file_name: str  # as written in the sidecar (relative path or base name), NFC
    captured_at: datetime | None = None  # timezone-aware; UTC when no zone given
    latitude: float | None = None
    longitude: float | None = None
    depth_min: float | None = None  # metres, positive down
    depth_max: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # EcoTaxa: {"category", "status"[, "person", "date"]}; iFDO: image-annotations
    # exactly as given (a list in iFDO v2), hence list as well as dict.
    annotation: dict[str, Any] | list[Any] | None = None


@dataclass
class SetMetadata:
    """What a sidecar says about the whole set (the iFDO header); EcoTaxa gives none."""

    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sidecar:
    """One parsed sidecar: its format, set header, images by file name, warnings."""

    format: str  # ECOTAXA_TSV | IFDO
    set_metadata: SetMetadata
    images: dict[str, ImageMetadata]
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- shared


def _decode(data: bytes | str, name: str) -> str:
    """UTF-8 text from the upload, BOM dropped; other encodings refused with a hint.

    Guessing an encoding silently corrupts species and place names, so the
    uploader is told which byte on which line is wrong instead.
    """
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    data = bytes(data)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(
            name, "is UTF-16 text; sidecars must be UTF-8 (re-save the file as UTF-8)"
        )
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(
            name,
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} is invalid "
            "(re-save the file as UTF-8)",
        ) from None


def _nfc(text: str) -> str:
    """NFC so that names typed on macOS (NFD) match names stored elsewhere."""
    return unicodedata.normalize("NFC", text)


def _short(value: Any) -> str:
    """A value for an error message, cut so a hostile file cannot flood the log."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_position(
    name: str, where: str, lat_field: str, lat: float | None, lon_field: str, lon: float | None
) -> None:
    """Latitude/longitude in WGS 84 degrees; anything else is a unit or column mix-up."""
    if lat is not None and not -90.0 <= lat <= 90.0:
        raise IngestError(name, f"{where}, {lat_field}: latitude {lat!r} is out of range [-90, 90]")
    if lon is not None and not -180.0 <= lon <= 180.0:
        raise IngestError(
            name, f"{where}, {lon_field}: longitude {lon!r} is out of range [-180, 180]"
        )


# ------------------------------------------------------------------------- sniffing

_BINARY_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG",
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"GIF8",
    b"PK\x03\x04",  # zip
    b"\x1f\x8b",  # gzip
    b"%PDF",
)
_ECOTAXA_PREFIXES = ("img_", "object_", "sample_", "acq_", "process_")
_IFDO_NAME = re.compile(r"ifdo\.(ya?ml|json)$", re.IGNORECASE)


def sniff_sidecar(name: str, head: bytes) -> str | None:
    """Which sidecar format `head` (the first bytes of file `name`) is, or None.

    Content decides, because upload names are arbitrary; the name only breaks
    ties (an `*ifdo.yaml` whose header is beyond `head`). Binary files are
    never sidecars.
    """
    if head.startswith(_BINARY_MAGIC):
        return None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 (an Excel "Unicode text" export): recognise it so that the
        # parser can say why it is refused.
        text = head.decode("utf-16", errors="ignore")
    else:
        if b"\x00" in head:
            return None
        text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    first_line = text.split("\n", 1)[0].rstrip("\r")
    columns = [c.strip().strip('"').lower() for c in first_line.split("\t")]
    if "img_file_name" in columns or (
        len(columns) > 1 and any(c.startswith(_ECOTAXA_PREFIXES) for c in columns)
    ):
        return ECOTAXA_TSV
    if "image-set-header" in text or "image-set-items" in text:
        return IFDO
    if _IFDO_NAME.search(name) and text.lstrip()[:1] not in ("", "<"):
        return IFDO
    return None


def parse_sidecar(name: str, data: bytes) -> Sidecar:
    """Sniff then parse; the one entry point ingestion needs."""
    kind = sniff_sidecar(name, bytes(data[:SNIFF_BYTES]))
    if kind == ECOTAXA_TSV:
        return parse_ecotaxa_tsv(data, name=name)
    if kind == IFDO:
        return parse_ifdo(data, name=name)
    raise IngestError(
        name,
        "not a recognised sidecar: expected an EcoTaxa TSV (a header row with img_file_name) "
        "or an iFDO YAML/JSON document (with image-set-header)",
    )


# ----------------------------------------------------------------------- EcoTaxa TSV

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
_ECOTAXA_CONSUMED = frozenset(
    {"img_file_name", "object_date", "object_time", *_ECOTAXA_NUMERIC, *_ECOTAXA_ANNOTATION}
)


def parse_ecotaxa_tsv(data: bytes | str, *, name: str) -> Sidecar:
    """Read an EcoTaxa import TSV: header row, optional `[t]`/`[f]` type row, one row per object.

    EcoTaxa allows several objects (rows) per image; the first row gives the
    image's position and time and every row's annotation is kept under
    `fields["objects"]`, with a warning, so nothing is silently dropped.
    """
    text = _decode(data, name)
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
        kept.fields.setdefault("objects", [first_object[key]]).append(obj)
        warnings.append(
            f"row {row_no}, img_file_name: {key!r} already on row {first_row[key]}; "
            f"position and time kept from row {first_row[key]}, this row's annotation "
            "added to fields['objects']"
        )
    if not images:
        warnings.append("no data rows: the file describes no images")
    return Sidecar(ECOTAXA_TSV, SetMetadata(), images, warnings)


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
        raise IngestError(name, f"{where}: {_short(value)} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise IngestError(name, f"{where}: {_short(value)} is not a finite number")
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
            name, f"{where}: {_short(value)} is not a valid date (expected YYYYMMDD)"
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
            name, f"{where}: {_short(raw.strip())} is not a valid time (expected HHMMSS)"
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

    file_name = _nfc(raw["img_file_name"].strip())
    if not file_name:
        raise IngestError(name, f"{where('img_file_name')}: the image file name is empty")

    lat, lon = typed.get("object_lat"), typed.get("object_lon")
    _check_position(name, f"row {row_no}", "column object_lat", lat, "column object_lon", lon)
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

    annotation: dict[str, Any] | None = None
    category = typed.get("object_annotation_category")
    status = typed.get("object_annotation_status")
    if status is not None:
        status = str(status).lower()
        if status not in _ECOTAXA_STATUSES:
            raise IngestError(
                name,
                f"{where('object_annotation_status')}: status {_short(status)} is not one of "
                + ", ".join(_ECOTAXA_STATUSES),
            )
    if category is not None or status is not None:
        annotation = {"category": category, "status": status}
        person = typed.get("object_annotation_person_name")
        if person is not None:
            annotation["person"] = person
        annotated_on = _tsv_date(
            raw.get("object_annotation_date", ""), where("object_annotation_date"), name
        )
        if annotated_on is not None:
            annotation["date"] = annotated_on

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
    )
    obj = {"row": row_no, "object_id": typed.get("object_id"), "annotation": annotation}
    return image, obj


# ----------------------------------------------------------------------------- iFDO


class _AliasRefused(yaml.YAMLError):
    """A YAML alias was found; see `_IfdoYamlLoader`."""

    def __init__(self, mark: yaml.Mark | None):
        super().__init__("alias")
        self.mark = mark


class _DuplicateKey(ValueError):
    """A mapping repeats a key: one of the two values would be silently lost."""

    def __init__(self, key: str, line: int | None = None):
        super().__init__(key)
        self.key = key
        self.line = line


_BaseSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _IfdoYamlLoader(_BaseSafeLoader):  # type: ignore[misc, valid-type]
    """A safe loader that refuses aliases and repeated keys.

    Safe loading stops code execution, not size blow-ups: nine nested aliases
    ("billion laughs") make a tiny file expand into billions of entries once
    something walks it. iFDO never needs aliases, so any node reached twice is
    refused before construction. It is built on libyaml's CSafeLoader where
    available (fast enough for large sets) and PyYAML's SafeLoader otherwise.
    """

    def construct_document(self, node: yaml.Node) -> Any:
        seen: set[int] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                raise _AliasRefused(current.start_mark)
            seen.add(id(current))
            if isinstance(current, yaml.SequenceNode):
                stack.extend(current.value)
            elif isinstance(current, yaml.MappingNode):
                for key, value in current.value:
                    stack.extend((key, value))
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in keys:
                    raise _DuplicateKey(key_node.value, key_node.start_mark.line + 1)
                keys.add(key)
        return super().construct_mapping(node, deep=deep)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _load_ifdo_document(data: bytes | str, name: str) -> Any:
    """JSON when the name or the first character says so, else YAML; sizes capped first."""
    size = len(data) if isinstance(data, bytes | bytearray | memoryview) else None
    if size is None:
        size = len(data) if len(data) > MAX_IFDO_BYTES else len(data.encode("utf-8"))
    if size > MAX_IFDO_BYTES:
        raise IngestError(
            name,
            f"is {size / 1024 / 1024:.1f} MB; iFDO documents over "
            f"{MAX_IFDO_BYTES // 1024 // 1024} MB are refused",
        )
    text = _decode(data, name)
    as_json = name.lower().endswith(".json")
    try:
        if as_json or text.lstrip().startswith("{"):
            try:
                return json.loads(text, object_pairs_hook=_json_pairs)
            except json.JSONDecodeError as exc:
                if as_json:
                    raise IngestError(
                        name, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
                    ) from None
        loader = _IfdoYamlLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except _AliasRefused as exc:
        line = f" (the value at line {exc.mark.line + 1} is reused)" if exc.mark else ""
        raise IngestError(
            name,
            f"YAML aliases are not accepted{line}: an alias can expand a small file into "
            "an enormous document; write the values out",
        ) from None
    except _DuplicateKey as exc:
        line = f"line {exc.line}: " if exc.line else ""
        raise IngestError(
            name, f"{line}key {_short(exc.key)} appears twice in the same mapping"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise IngestError(name, f"not valid YAML: {exc.problem or exc.context}{line}") from None
    except yaml.YAMLError as exc:
        raise IngestError(name, f"not valid YAML: {exc}") from None
    except RecursionError:
        raise IngestError(name, "is nested too deeply to be an iFDO document") from None


#: Header keys that describe the set, with their AquaCat set field. They are
#: not copied into each image's fields unless the item itself sets them.
_IFDO_SET_FIELDS = {
    "image-set-name": "title",
    "image-set-uuid": "uuid",
    "image-set-handle": "handle",
    "image-abstract": "description",
    "image-license": "licence",
    "image-copyright": "copyright",
    "image-creators": "creators",
    "image-pi": "pi",
    "image-project": "project",
    "image-event": "event",
    "image-platform": "platform",
    "image-sensor": "instrument",
    "image-context": "context",
}
_IFDO_POSITION = frozenset(
    {
        "image-datetime",
        "image-latitude",
        "image-longitude",
        "image-depth",
        "image-altitude-meters",  # v2
        "image-altitude",  # v1
    }
)
#: Keys turned into ImageMetadata attributes rather than kept in `fields`.
#: Altitude stays in `fields`: a positive altitude is information, not a depth.
_IFDO_IMAGE_CONSUMED = frozenset(
    {"image-datetime", "image-latitude", "image-longitude", "image-depth", "image-annotations"}
)
_CRS_KEY = "image-coordinate-reference-system"
_WGS84 = frozenset(
    {
        "EPSG:4326",
        "EPSG4326",
        "4326",
        "WGS84",
        "URN:OGC:DEF:CRS:EPSG::4326",
        "HTTP://WWW.OPENGIS.NET/DEF/CRS/EPSG/0/4326",
    }
)
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_ORCID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")


def parse_ifdo(data: bytes | str, *, name: str) -> Sidecar:
    """Read an iFDO (v2, v1 keys accepted) from YAML or JSON.

    Header `image-*` values are defaults for every item (iFDO semantics), so
    position and time come from the item when it sets them and from the header
    otherwise. A list-valued item (video, time series) takes position and time
    from its first entry; the other entries are kept in `fields["timepoints"]`.
    """
    doc = _load_ifdo_document(data, name)
    if not isinstance(doc, dict):
        raise IngestError(name, "not an iFDO: expected a mapping with image-set-header")
    header = doc.get("image-set-header")
    if header is None:
        raise IngestError(name, "not an iFDO: image-set-header is missing")
    if not isinstance(header, dict):
        raise IngestError(name, "image-set-header: expected a mapping of image-set-* fields")
    warnings: list[str] = [
        f"top-level key {_short(k)} is not part of iFDO and was ignored"
        for k in doc
        if k not in ("image-set-header", "image-set-items")
    ]
    set_fields = _ifdo_set_fields(header, name, warnings)
    defaults = {
        k: v
        for k, v in header.items()
        if k not in _IFDO_SET_FIELDS and not str(k).startswith("image-set-")
    }

    items = doc.get("image-set-items")
    if items is None:
        warnings.append("image-set-items is missing: the sidecar describes no images")
        items = {}
    if not isinstance(items, dict):
        raise IngestError(name, "image-set-items: expected a mapping of file name to fields")

    images: dict[str, ImageMetadata] = {}
    times: list[datetime] = []
    for key, value in items.items():
        image = _ifdo_item(key, value, defaults, name, warnings, times)
        if image.file_name in images:
            warnings.append(
                f"item {_short(key)}: same file name as another item after Unicode "
                "normalisation; the first was kept"
            )
            continue
        images[image.file_name] = image
    if times:
        set_fields["time_start"], set_fields["time_end"] = min(times), max(times)
    return Sidecar(IFDO, SetMetadata(set_fields), images, warnings)


def _ifdo_number(value: Any, where: str, key: str, name: str) -> float | None:
    """A JSON/YAML number as float; strings and booleans are type errors."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IngestError(
            name,
            f"{where}, field {key}: expected a number, got {type(value).__name__} {_short(value)}",
        )
    number = float(value)
    if not math.isfinite(number):
        raise IngestError(name, f"{where}, field {key}: {_short(value)} is not a finite number")
    return number


def _ifdo_datetime(value: Any, where: str, name: str) -> datetime | None:
    """iFDO time, "YYYY-MM-DD HH:MM:SS.ffffff" in UTC or ISO 8601, as an aware UTC datetime."""
    key = "image-datetime"
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATETIME.fullmatch(text):
            raise IngestError(
                name,
                f"{where}, field {key}: {_short(value)} is not a date and time "
                "(expected YYYY-MM-DD HH:MM:SS.ffffff or ISO 8601)",
            )
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise IngestError(
                name, f"{where}, field {key}: {_short(text)} is not a valid date and time"
            ) from None
    if not isinstance(value, datetime):  # YAML turns a bare date into `date`
        raise IngestError(
            name,
            f"{where}, field {key}: expected a date and time, got "
            f"{type(value).__name__} {_short(value)}",
        )
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _ifdo_depth(layer: dict[str, Any], where: str, name: str) -> float | None:
    """Depth from image-depth, else from a negative (v2 or v1) altitude."""
    depth = _ifdo_number(layer.get("image-depth"), where, "image-depth", name)
    if depth is not None:
        return depth
    for key in ("image-altitude-meters", "image-altitude"):
        altitude = _ifdo_number(layer.get(key), where, key, name)
        if altitude is not None:
            return abs(altitude) if altitude <= 0 else None
    return None


def _ifdo_has_depth(layer: dict[str, Any]) -> bool:
    return any(
        layer.get(k) is not None for k in ("image-depth", "image-altitude-meters", "image-altitude")
    )


def _ifdo_position(
    layer: dict[str, Any], where: str, name: str
) -> tuple[datetime | None, float | None, float | None]:
    """Validated time, latitude and longitude of one layer (header, item or entry)."""
    captured_at = _ifdo_datetime(layer.get("image-datetime"), where, name)
    lat = _ifdo_number(layer.get("image-latitude"), where, "image-latitude", name)
    lon = _ifdo_number(layer.get("image-longitude"), where, "image-longitude", name)
    _check_position(name, where, "field image-latitude", lat, "field image-longitude", lon)
    return captured_at, lat, lon


def _check_crs(layer: dict[str, Any], where: str, name: str, warnings: list[str]) -> None:
    """Only WGS 84 degrees are understood; other systems are flagged, not converted."""
    crs = layer.get(_CRS_KEY)
    if crs is None:
        return
    if not isinstance(crs, str | int):
        raise IngestError(
            name, f"{where}, field {_CRS_KEY}: expected text, got {type(crs).__name__}"
        )
    if str(crs).strip().upper().replace(" ", "") not in _WGS84:
        warnings.append(
            f"{where}, field {_CRS_KEY}: {_short(crs)} is not EPSG:4326; latitude and "
            "longitude were read as WGS 84 degrees"
        )


def _ifdo_item(
    key: Any,
    value: Any,
    defaults: dict[str, Any],
    name: str,
    warnings: list[str],
    times: list[datetime],
) -> ImageMetadata:
    """One image-set-items entry, header defaults applied."""
    if not isinstance(key, str) or not key.strip():
        raise IngestError(
            name, f"image-set-items: key {_short(key)} is not a file name (quote it in YAML)"
        )
    file_name = _nfc(key.strip())
    where = f"item {file_name!r}"
    if value is None:
        entries: list[dict[str, Any]] = [{}]
    elif isinstance(value, dict):
        entries = [value]
    elif isinstance(value, list):
        if not value:
            raise IngestError(name, f"{where}: an empty list describes no image")
        for index, entry in enumerate(value, 1):
            if not isinstance(entry, dict):
                raise IngestError(
                    name, f"{where}, entry {index}: expected a mapping of image-* fields"
                )
        entries = value
    else:
        raise IngestError(name, f"{where}: expected a mapping of image-* fields or a list of them")

    own = entries[0]
    merged = {**defaults, **own}
    captured_at, lat, lon = _ifdo_position(merged, where, name)
    # Depth from whichever layer speaks about it: an item's altitude must not
    # lose to a header's default depth.
    depth = _ifdo_depth(own if _ifdo_has_depth(own) else defaults, where, name)
    _check_crs(own, where, name, warnings)

    annotations = merged.get("image-annotations")
    if annotations is not None and not isinstance(annotations, list | dict):
        raise IngestError(
            name,
            f"{where}, field image-annotations: expected a list of annotations, got "
            f"{type(annotations).__name__}",
        )
    fields = {k: v for k, v in merged.items() if k not in _IFDO_IMAGE_CONSUMED}
    if captured_at is not None:
        times.append(captured_at)
    if len(entries) > 1:
        for index, entry in enumerate(entries[1:], 2):
            entry_where = f"{where}, entry {index}"
            entry_time, _, _ = _ifdo_position(entry, entry_where, name)
            _ifdo_depth(entry, entry_where, name)
            _check_crs(entry, entry_where, name, warnings)
            if entry_time is not None:
                times.append(entry_time)
        fields["timepoints"] = entries[1:]
    return ImageMetadata(
        file_name=file_name,
        captured_at=captured_at,
        latitude=lat,
        longitude=lon,
        depth_min=depth,
        depth_max=depth,
        fields=fields,
        annotation=annotations,
    )


def _text(header: dict[str, Any], key: str, where: str, name: str) -> str | None:
    value = header.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError(name, f"{where}, field {key}: expected text, got {type(value).__name__}")
    return value.strip() or None


def _named(header: dict[str, Any], key: str, where: str, name: str) -> dict[str, Any] | None:
    """v1 gives a bare name, v2 a {name, uri}; both become {"name", "uri"}."""
    value = header.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return {"name": value.strip(), "uri": None}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        uri = value.get("uri")
        return {"name": value["name"].strip(), "uri": uri if isinstance(uri, str) else None}
    raise IngestError(name, f"{where}, field {key}: expected a name or {{name, uri}}")


def _person(value: Any, where: str, key: str, name: str) -> dict[str, Any]:
    """v1 {name, orcid} and v2 {name, uri} (an ORCID URL) both become {"name", "orcid", "uri"}."""
    if isinstance(value, str):
        return {"name": value.strip(), "orcid": None, "uri": None}
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        uri = value.get("uri") if isinstance(value.get("uri"), str) else None
        found = _ORCID.search(str(value.get("orcid") or uri or ""))
        return {
            "name": value["name"].strip(),
            "orcid": found.group(0) if found else None,
            "uri": uri,
        }
    raise IngestError(name, f"{where}, field {key}: expected a person as {{name, orcid or uri}}")


def _ifdo_set_fields(header: dict[str, Any], name: str, warnings: list[str]) -> dict[str, Any]:
    """The header mapped to AquaCat set fields; the rest kept under "extra"."""
    where = "image-set-header"
    for required in ("image-set-name", "image-set-uuid"):
        if header.get(required) in (None, ""):
            raise IngestError(name, f"{where}: {required} is missing (iFDO requires it)")
    out: dict[str, Any] = {"title": _text(header, "image-set-name", where, name)}
    raw_uuid = header["image-set-uuid"]
    try:
        out["uuid"] = str(uuid.UUID(str(raw_uuid).strip()))
    except ValueError:
        raise IngestError(
            name, f"{where}, field image-set-uuid: {_short(raw_uuid)} is not a UUID"
        ) from None
    for key in ("image-set-handle", "image-abstract", "image-copyright"):
        value = _text(header, key, where, name)
        if value is not None:
            out[_IFDO_SET_FIELDS[key]] = value
    for key in (
        "image-license",
        "image-project",
        "image-event",
        "image-platform",
        "image-sensor",
        "image-context",
    ):
        value = _named(header, key, where, name)
        if value is not None:
            out[_IFDO_SET_FIELDS[key]] = value
    creators = header.get("image-creators")
    if creators is not None:
        if isinstance(creators, dict | str):
            creators = [creators]
        if not isinstance(creators, list):
            raise IngestError(name, f"{where}, field image-creators: expected a list of persons")
        out["creators"] = [_person(c, where, "image-creators", name) for c in creators]
    if header.get("image-pi") is not None:
        out["pi"] = _person(header["image-pi"], where, "image-pi", name)

    captured_at, lat, lon = _ifdo_position(header, where, name)
    depth = _ifdo_depth(header, where, name)
    defaults = {"latitude": lat, "longitude": lon, "depth_min": depth, "depth_max": depth}
    out.update({k: v for k, v in defaults.items() if v is not None})
    if captured_at is not None:
        out["captured_at"] = captured_at
    _check_crs(header, where, name, warnings)
    out["extra"] = {
        k: v for k, v in header.items() if k not in _IFDO_SET_FIELDS and k not in _IFDO_POSITION
    }
    return out
