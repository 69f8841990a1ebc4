"""The one query model of AquaCat search, and who is asking.

Every backend (database, OpenSearch, Elasticsearch) takes a `SearchQuery` and a
`Visibility` (catalogue/access.py) and answers with a `SearchResult` (catalogue/search/results.py).
Filters are ORed within a field and ANDed across fields. Ranges overlap: a set
covering 10-200 m matches a depth filter of 150-300 m.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Literal

from django.core import signing

from catalogue import geometry
from catalogue.errors import FieldError
from catalogue.geometry import GeometryError

Kind = Literal["set", "image"]
KINDS: tuple[Kind, ...] = ("set", "image")
SORTS = ("relevance", "newest", "largest")

# Keyword filters: query attribute -> document field.
TERM_FILTERS = {
    "platform": "platform",
    "instrument": "instrument",
    "modality": "modality",
    "research_infrastructure": "research_infrastructure",
    "licence": "licence",
    "access": "access",
    "source": "source",  # "local", or the harvest source of an external set
    "taxon": "taxon_path",  # a taxon matches itself and every descendant
    "label": "labels",  # validated annotation labels
    "predicted": "predicted",  # labels predicted by models (inference, predicted annotations)
    "label_status": "label_status",  # statuses of the annotations: validated, predicted, ...
    "year": "years",
    "image_set": "set_id",
}
# Facets counted by default: facet name -> document field.
FACETS = {
    "platform": "platform",
    "instrument": "instrument",
    "modality": "modality",
    "research_infrastructure": "research_infrastructure",
    "licence": "licence",
    "access": "access",
    "source": "source",
    "taxon": "taxon_path",
    "label": "labels",
    "predicted": "predicted",
    "label_status": "label_status",
    "year": "years",
    "has_annotations": "has_annotations",
}
MAX_PAGE_SIZE = 200
# The area filters, checked as catalogue.geometry reads them: a box (west <= east)
# and one closed ring.
AREA_READERS: dict[str, Callable[[object], object]] = {
    "bbox": partial(geometry.parse_bbox, crossing=False),
    "polygon": geometry.parse_ring,
}


class QueryError(FieldError):
    """A query parameter is invalid; `field` names it."""


@dataclass
class SearchQuery:
    kind: Kind = "set"
    text: str = ""
    platform: list[str] = field(default_factory=list)
    instrument: list[str] = field(default_factory=list)
    modality: list[str] = field(default_factory=list)
    research_infrastructure: list[str] = field(default_factory=list)
    licence: list[str] = field(default_factory=list)
    access: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    taxon: list[str] = field(default_factory=list)
    label: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    label_status: list[str] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    image_set: list[int] = field(default_factory=list)
    has_annotations: bool | None = None
    # [west, south, east, north] in WGS84 degrees; west > east is not supported.
    bbox: tuple[float, float, float, float] | None = None
    # One closed ring of [lon, lat] points.
    polygon: list[list[float]] | None = None
    time_from: datetime | None = None
    time_to: datetime | None = None
    depth_min: float | None = None
    depth_max: float | None = None
    sort: str = "relevance"
    page_size: int = 20
    page: int = 1
    after: str | None = None  # the next-page token of the previous result
    facets: list[str] = field(default_factory=lambda: list(FACETS))
    highlight: bool = True

    def validate(self) -> SearchQuery:
        if self.kind not in KINDS:
            raise QueryError("kind", f"must be one of {', '.join(KINDS)}")
        if self.sort not in SORTS:
            raise QueryError("sort", f"must be one of {', '.join(SORTS)}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise QueryError("page_size", f"must be between 1 and {MAX_PAGE_SIZE}")
        if self.page < 1:
            raise QueryError("page", "must be 1 or more")
        for name, read in AREA_READERS.items():
            value = getattr(self, name)
            if value is not None:
                try:
                    read(value)
                except GeometryError as error:
                    raise QueryError(name, str(error)) from error
        if self.time_from and self.time_to and self.time_from > self.time_to:
            raise QueryError("time_from", "is after time_to")
        if (
            self.depth_min is not None
            and self.depth_max is not None
            and self.depth_min > self.depth_max
        ):
            raise QueryError("depth_min", "is greater than depth_max")
        # NUL can be stored by no database and matched by nothing: dropped from
        # free text, refused in filter values.
        self.text = self.text.replace("\x00", "")
        for name in TERM_FILTERS:
            value = getattr(self, name)
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and "\x00" in v for v in values):
                raise QueryError(name, "contains a NUL character")
        unknown = set(self.facets) - set(FACETS)
        if unknown:
            raise QueryError("facets", f"unknown facet(s): {', '.join(sorted(unknown))}")
        return self

    def terms(self) -> dict[str, list]:
        """The keyword filters in use: document field -> accepted values."""
        return {
            doc_field: list(getattr(self, name))
            for name, doc_field in TERM_FILTERS.items()
            if getattr(self, name)
        }


PAGE_TOKEN_SALT = "aquacat.search.page"  # noqa: S105 - a salt, not a secret


def make_page_token(backend: str, query: SearchQuery, position: list) -> str:
    """An opaque, signed token for the page after `position` (sort values of the last hit)."""
    return signing.dumps(
        {"b": backend, "k": query.kind, "s": query.sort, "p": position}, salt=PAGE_TOKEN_SALT
    )


def read_page_token(backend: str, query: SearchQuery) -> list | None:
    """The position encoded in `query.after`, checked to belong to this kind of query."""
    if not query.after:
        return None
    try:
        data = signing.loads(query.after, salt=PAGE_TOKEN_SALT, max_age=7 * 24 * 3600)
    except signing.BadSignature as error:
        raise QueryError("after", "is not a valid next-page token") from error
    if data.get("b") != backend or data.get("k") != query.kind or data.get("s") != query.sort:
        raise QueryError("after", "belongs to another search")
    return data["p"]


LIST_PARAMS = {
    "platform",
    "instrument",
    "modality",
    "research_infrastructure",
    "licence",
    "access",
    "source",
    "taxon",
    "label",
    "predicted",
    "label_status",
}
INT_LIST_PARAMS = {"year", "image_set"}


def parse_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError as error:
        raise QueryError(name, f"{value!r} is not a number") from error
    if number != number or number in (float("inf"), float("-inf")):
        raise QueryError(name, f"{value!r} is not a finite number")
    return number


def parse_datetime(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise QueryError(name, f"{value!r} is not an ISO 8601 date or date-time") from error
    if not moment.tzinfo:
        return moment.replace(tzinfo=UTC)
    # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise QueryError(name, f"{value!r} is out of range") from error


def query_from_params(params) -> SearchQuery:
    """A SearchQuery from request-style parameters (name -> list of strings).

    Lists accept repeated parameters or comma-separated values. Unknown names
    are an error, so a typo never silently widens a search.
    """
    query = SearchQuery()
    for name, values in params.items():
        values = [v for value in values for v in str(value).split(",") if v != ""]
        if name in LIST_PARAMS:
            setattr(query, name, values)
        elif name in INT_LIST_PARAMS:
            try:
                setattr(query, name, [int(v) for v in values])
            except ValueError as error:
                raise QueryError(name, "must be whole numbers") from error
        elif name in ("q", "text"):
            query.text = " ".join(params[name]).strip()[:1000]
        elif name == "kind":
            query.kind = values[0] if values else "set"
        elif name == "has_annotations":
            if values[:1] not in (["true"], ["false"]):
                raise QueryError(name, "must be true or false")
            query.has_annotations = values[0] == "true"
        elif name == "bbox":
            if len(values) != 4:
                raise QueryError(name, "needs four numbers: west,south,east,north")
            west, south, east, north = (parse_float(name, v) for v in values)
            query.bbox = (west, south, east, north)
        elif name == "polygon":
            numbers = [parse_float(name, v) for v in values]
            if len(numbers) % 2:
                raise QueryError(name, "needs lon,lat pairs")
            query.polygon = [numbers[i : i + 2] for i in range(0, len(numbers), 2)]
        elif name in ("time_from", "time_to"):
            setattr(query, name, parse_datetime(name, values[0]) if values else None)
        elif name in ("depth_min", "depth_max"):
            setattr(query, name, parse_float(name, values[0]) if values else None)
        elif name == "sort":
            query.sort = values[0] if values else "relevance"
        elif name in ("page", "page_size"):
            try:
                setattr(query, name, int(values[0]))
            except (ValueError, IndexError) as error:
                raise QueryError(name, "must be a whole number") from error
        elif name == "after":
            query.after = params[name][0] if params[name] else None
        elif name == "facets":
            query.facets = values
        else:
            raise QueryError(name, "is not a search parameter")
    return query.validate()
