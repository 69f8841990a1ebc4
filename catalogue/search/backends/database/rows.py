"""Search documents as rows of the database index (catalogue/search/dbindex.py).

`prepare()` checks a document (catalogue/search/documents.py) field by field
and splits it into a `Row`: typed columns for what SQL filters and sorts on,
(field, value) pairs for the keyword fields (SearchValue rows), and the texts
that full-text search reads. A document that cannot be indexed raises
`Malformed`, saying why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal, overload

from catalogue import geometry
from catalogue.search.backends.database.text import safe
from catalogue.search.wordparts import word_parts

# Document fields stored as SearchValue rows (the rest that filters use are columns).
VALUE_FIELDS = (
    "platform",
    "instrument",
    "modality",
    "research_infrastructure",
    "licence",
    "source",
    "taxon_path",
    "labels",
    "predicted",
    "label_status",
    "years",
    "curator_ids",
    "taxa",
    "keywords",
)
SINGLE_VALUE_FIELDS = (
    "platform",
    "instrument",
    "modality",
    "research_infrastructure",
    "licence",
    "source",
)
INT_VALUE_FIELDS = ("years", "curator_ids")
MAX_VALUE_LENGTH = 1024  # longer keyword values are not filterable (ignore_above)
# A document without `created` or `size` sorts last under "newest" or "largest".
NO_DATE = datetime(1, 1, 1, tzinfo=UTC)
NO_SIZE = -1
COVERAGE_READERS: dict[str, Callable[[object], object]] = {
    "bbox": geometry.parse_bbox,  # west > east: across the antimeridian
    "point": geometry.parse_point,
    "polygon": geometry.polygon_parts,
}


class Malformed(ValueError):
    """A document that cannot be indexed; the message says why."""


@dataclass
class Row:
    """A document prepared for the tables."""

    object_id: int
    revision: int
    columns: dict
    values: set[tuple[str, str]] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)


def prepare(kind: str, document: object) -> Row:
    """The row of a document, or Malformed."""
    if not isinstance(document, dict):
        raise Malformed("a document must be a JSON object")
    doc = clean(document)
    object_id = as_int(doc, "id", required=True)
    revision = as_int(doc, "revision", required=True)
    if revision < 0:
        raise Malformed("revision must not be negative")
    if doc.get("kind", kind) != kind:
        raise Malformed(f"kind is {doc.get('kind')!r}, not {kind!r}")
    size = as_int(doc, "size")
    has_annotations = doc.get("has_annotations")
    if has_annotations is not None and not isinstance(has_annotations, bool):
        raise Malformed(f"has_annotations must be true or false, not {has_annotations!r}")
    title = as_text(doc, "title")
    columns = {
        "kind": kind,
        "object_id": object_id,
        "revision": revision,
        "document": doc,
        "title": title,
        "set_id": as_int(doc, "set_id"),
        "state": as_text(doc, "state"),
        "access": as_text(doc, "access"),
        "embargo_until": as_date(doc, "embargo_until"),
        "owner_id": as_int(doc, "owner_id"),
        "time_start": as_datetime(doc, "time_start"),
        "time_end": as_datetime(doc, "time_end"),
        "depth_min": as_float(doc, "depth_min"),
        "depth_max": as_float(doc, "depth_max"),
        **coverage_columns(doc),
        "has_annotations": bool(has_annotations),
        "size": size if size is not None else NO_SIZE,
        "created": as_datetime(doc, "created") or NO_DATE,
    }
    values: set[tuple[str, str]] = set()
    for name in VALUE_FIELDS:
        items = [as_text(doc, name)] if name in SINGLE_VALUE_FIELDS else as_list(doc, name)
        for item in items:
            if name in INT_VALUE_FIELDS:
                as_int({name: item}, name, required=True)
            if len(str(item)) <= MAX_VALUE_LENGTH:
                values.add((name, str(item)))
    taxa = as_list(doc, "taxa") + as_list(doc, "taxon_terms")
    keywords = as_list(doc, "keywords")
    description = as_text(doc, "description")
    # The domain's word parts (wordparts.py) go with the keywords: `plankton` then
    # finds `Phytoplankton` in a title, as the engine's decompounder does.
    parts = word_parts([title, description, *map(str, keywords), *map(str, taxa)])
    texts = {
        "title": title,
        "keywords": text_of([*keywords, *parts]),
        "taxa": text_of(taxa),
        "description": description,
        "creators": text_of(as_list(doc, "creators")),
        "instrument": as_text(doc, "instrument"),
        "platform": as_text(doc, "platform"),
        "file_name": as_text(doc, "file_name"),
    }
    return Row(object_id, revision, columns, values, {k: safe(v) for k, v in texts.items()})


def coverage_columns(doc: dict) -> dict:
    """The extent [west, south, east, north] of the document's coverage (its
    polygon, else its point, else its bbox), and whether that is a polygon. Each
    of the three that is given is checked, even when another one wins."""
    for name, read in COVERAGE_READERS.items():
        if doc.get(name):
            try:
                read(doc[name])
            except geometry.GeometryError as error:
                raise Malformed(f"{name}: {error}") from error
    shape = geometry.coverage(doc)
    west, south, east, north = shape.extent if shape else (None, None, None, None)
    return {
        "west": west,
        "south": south,
        "east": east,
        "north": north,
        "has_polygon": shape is not None and shape.kind == "polygon",
    }


def document_id(document: object) -> int:
    """The id to report a refused document under (0 when it has none)."""
    value = document.get("id") if isinstance(document, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def text_of(values: Iterable) -> str:
    return "\n".join(str(value) for value in values if value not in (None, ""))


# --- field by field -------------------------------------------------------------------


def clean(value):
    """The document without NUL characters (PostgreSQL refuses them in text and JSON)
    and with lone surrogates (not encodable as UTF-8) replaced by "?"."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    return value


@overload
def as_int(doc: dict, name: str, *, required: Literal[True]) -> int: ...
@overload
def as_int(doc: dict, name: str, *, required: bool = False) -> int | None: ...
def as_int(doc: dict, name: str, *, required: bool = False) -> int | None:
    """The integer `name` of the document; None when it is missing, unless required."""
    value = doc.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(f"{name} must be an integer, not {value!r}")
    if not -(2**63) <= value < 2**63:
        raise Malformed(f"{name} is out of range: {value}")
    return value


def as_float(doc: dict, name: str) -> float | None:
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Malformed(f"{name} must be a finite number, not {value!r}")
    return float(value)


def as_text(doc: dict, name: str) -> str:
    value = doc.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(f"{name} must be a string, not {value!r}")
    return value


def as_list(doc: dict, name: str) -> list:
    value = doc.get(name)
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise Malformed(f"{name} must be a list, not {value!r}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise Malformed(f"{name} must hold strings or integers, not {item!r}")
    return list(value)


def as_datetime(doc: dict, name: str) -> datetime | None:
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as error:
            raise Malformed(f"{name} is not an ISO date-time: {value!r}") from error
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise Malformed(f"{name} must be an ISO date-time, not {value!r}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def as_date(doc: dict, name: str) -> date | None:
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError as error:
            raise Malformed(f"{name} is not an ISO date: {value!r}") from error
    raise Malformed(f"{name} must be an ISO date, not {value!r}")
