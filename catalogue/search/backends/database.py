"""The database search backend: SQLite (the embedded default) and PostgreSQL.

Documents (catalogue/search/documents.py) are stored in the tables of
catalogue/search/dbindex.py: one `SearchEntry` row per document, with typed
columns for what SQL filters and sorts on, and `SearchValue` rows for the
keyword fields, so term filters are IN subqueries and facets GROUP BY counts.
Full text is FTS5 (porter stemming, bm25) on SQLite and a weighted tsvector
(english, ts_rank) on PostgreSQL. Polygon filters are prefiltered in SQL by
bounding box and refined in Python (catalogue/search/geometry.py).

The semantics match the search-engine backend, so one shared suite gives the
same hits and facet counts on both.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.contrib.postgres.search import SearchQuery as TextQuery
from django.contrib.postgres.search import SearchRank
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from catalogue import access
from catalogue.access import Visibility
from catalogue.search import geometry
from catalogue.search.backends.base import IndexFailure, Progress, SearchBackend
from catalogue.search.dbindex import FTS_COLUMNS, FTS_TABLE, SearchEntry, SearchValue
from catalogue.search.query import (
    FACETS,
    Kind,
    QueryError,
    SearchQuery,
    make_page_token,
    read_page_token,
)
from catalogue.search.results import FacetValue, Hit, SearchResult

logger = logging.getLogger(__name__)

# Document fields stored as SearchValue rows (the rest that filters use are columns).
VALUE_FIELDS = (
    "platform",
    "instrument",
    "modality",
    "research_infrastructure",
    "licence",
    "taxon_path",
    "labels",
    "predicted",
    "years",
    "curator_ids",
    "taxa",
    "keywords",
)
SINGLE_VALUE_FIELDS = ("platform", "instrument", "modality", "research_infrastructure", "licence")
INT_VALUE_FIELDS = ("years", "curator_ids")
FACET_SIZE = 50
BATCH = 200  # documents per INSERT statement
MAX_VALUE_LENGTH = 1024  # longer keyword values are not filterable (ignore_above)
MAX_WORDS = 64
# A document without `created` or `size` sorts last under "newest" or "largest".
NO_DATE = datetime(1, 1, 1, tzinfo=UTC)
NO_SIZE = -1
# ts_rank weights {D, C, B, A}: title 3, keywords and taxa 2, the rest 1.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 0.6]

# The stop words of the search engines' `english` analyzer (Lucene's English
# set): dropped from queries, as the engines do. (PostgreSQL's english
# configuration also ignores a few more, such as "over" or "very".)
STOP_WORDS = frozenset(
    """a an and are as at be but by for if in into is it no not of on or such that
    the their then there these they this to was will with""".split()  # noqa: SIM905
)
WORD = re.compile(r"[^\W_]+")
# Highlight markers: control characters removed from every indexed text first,
# so a document can never forge one.
START, STOP = "\x02", "\x03"
UNSAFE = str.maketrans("", "", "\x00\x02\x03")
ELLIPSIS = "…"
SNIPPET_TOKENS = 32
# PostgreSQL weights C (title is A; keywords and taxa B).
C_WEIGHTED = ("description", "creators", "instrument", "platform", "file_name")


def words(text: str) -> list[str]:
    """The words of a search text: letters and digits only, lower case, no stop
    words, each once. Quotes, operators and FTS syntax are just separators."""
    found: list[str] = []
    for word in WORD.findall(unicodedata.normalize("NFC", text or "").lower()):
        if word not in STOP_WORDS and word not in found:
            found.append(word)
    return found[:MAX_WORDS]


def fts_expression(tokens: list[str]) -> str:
    """An FTS5 query matching every token: each one a quoted string (never syntax)."""
    return " ".join(f'"{token}"' for token in tokens)


def fragment(raw: str | None) -> str | None:
    """HTML of a highlighted text: escaped, with the markers turned into <mark>."""
    if not raw or START not in raw:
        return None
    escaped = html.escape(raw.strip(), quote=True)
    return escaped.replace(START, "<mark>").replace(STOP, "</mark>")


class Malformed(ValueError):
    """A document that cannot be indexed; the message says why."""


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


def as_int(doc: dict, name: str, *, required: bool = False) -> int | None:
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


def as_numbers(doc: dict, name: str, count: int) -> list[float] | None:
    value = doc.get(name)
    if not value:
        return None
    if not isinstance(value, list | tuple) or len(value) != count:
        raise Malformed(f"{name} must be {count} numbers, not {value!r}")
    numbers = [as_float({name: item}, name) for item in value]
    if None in numbers:
        raise Malformed(f"{name} must be {count} numbers, not {value!r}")
    return numbers


def extent(doc: dict) -> tuple[list[float] | None, bool]:
    """The extent [west, south, east, north] of the document's coverage (its
    polygon, else its point, else its bbox), and whether that is a polygon."""
    bbox = as_numbers(doc, "bbox", 4)
    if bbox is not None:
        west, south, east, north = bbox
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
            raise Malformed(f"bbox is out of range: {bbox!r}")
    point = as_numbers(doc, "point", 2)
    if point is not None and not (-180 <= point[0] <= 180 and -90 <= point[1] <= 90):
        raise Malformed(f"point is out of range: {point!r}")
    if doc.get("polygon"):
        points = [p for rings in polygon_parts(doc["polygon"]) for p in rings[0]]
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        return [min(lons), min(lats), max(lons), max(lats)], True
    if point is not None:
        return [point[0], point[1], point[0], point[1]], False
    return bbox, False


def polygon_parts(polygon) -> list[list[list[list[float]]]]:
    """The polygons (each: outer ring, then holes) of a GeoJSON Polygon or MultiPolygon."""
    if not isinstance(polygon, dict) or polygon.get("type") not in ("Polygon", "MultiPolygon"):
        raise Malformed("polygon must be a GeoJSON Polygon")
    coordinates = polygon.get("coordinates")
    parts = coordinates if polygon["type"] == "MultiPolygon" else [coordinates]
    if not isinstance(parts, list) or not parts:
        raise Malformed("polygon has no coordinates")
    result = []
    for rings in parts:
        if not isinstance(rings, list) or not rings:
            raise Malformed("polygon has no rings")
        checked = []
        for ring in rings:
            if not isinstance(ring, list) or len(ring) < 4:
                raise Malformed("a polygon ring needs at least 4 points")
            points = []
            for point in ring:
                if (
                    not isinstance(point, list | tuple)
                    or len(point) < 2
                    or not all(
                        isinstance(c, int | float) and not isinstance(c, bool) for c in point[:2]
                    )
                ):
                    raise Malformed(f"polygon point {point!r} is not [lon, lat]")
                lon, lat = float(point[0]), float(point[1])
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise Malformed(f"polygon point {point!r} is out of range")
                points.append([lon, lat])
            if points[0] != points[-1]:
                raise Malformed("a polygon ring must be closed")
            checked.append(points)
        result.append(checked)
    return result


def text_of(values: Iterable) -> str:
    return "\n".join(str(value) for value in values if value not in (None, ""))


@dataclass
class Row:
    """A document prepared for the tables."""

    object_id: int
    revision: int
    columns: dict
    values: set[tuple[str, str]] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)


def prepare(kind: str, document) -> Row:
    if not isinstance(document, dict):
        raise Malformed("a document must be a JSON object")
    doc = clean(document)
    object_id = as_int(doc, "id", required=True)
    revision = as_int(doc, "revision", required=True)
    if revision < 0:
        raise Malformed("revision must not be negative")
    if doc.get("kind", kind) != kind:
        raise Malformed(f"kind is {doc.get('kind')!r}, not {kind!r}")
    box, has_polygon = extent(doc)
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
        "west": box[0] if box else None,
        "south": box[1] if box else None,
        "east": box[2] if box else None,
        "north": box[3] if box else None,
        "has_polygon": has_polygon,
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
    texts = {
        "title": title,
        "keywords": text_of(as_list(doc, "keywords")),
        "taxa": text_of(as_list(doc, "taxa")),
        "description": as_text(doc, "description"),
        "creators": text_of(as_list(doc, "creators")),
        "instrument": as_text(doc, "instrument"),
        "platform": as_text(doc, "platform"),
        "file_name": as_text(doc, "file_name"),
    }
    texts = {name: text.translate(UNSAFE) for name, text in texts.items()}
    return Row(object_id, revision, columns, values, texts)


def document_id(document) -> int:
    value = document.get("id") if isinstance(document, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def meets(row: tuple, shape: list[list[list[float]]]) -> bool:
    """Whether a document's coverage (its polygon, else its point or box, from the
    row's extent and polygon) meets a query shape (a polygon: outer ring, holes)."""
    west, south, east, north, has_polygon, polygon = row
    if has_polygon:
        return any(geometry.polygons_intersect(part, shape) for part in polygon_parts(polygon))
    if west is None:
        return False
    if west == east and south == north:
        return geometry.point_in_polygon([west, south], shape)
    boxes = [[west, south, east, north]]
    if west > east:  # across the antimeridian
        boxes = [[west, south, 180.0, north], [-180.0, south, east, north]]
    return any(geometry.rectangle_intersects_polygon(box, shape) for box in boxes)


def aware(moment):
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return moment


class DatabaseBackend(SearchBackend):
    """Search in the catalogue's own database (SQLite FTS5 or PostgreSQL full text)."""

    name = "database"
    stems_english = True

    # --- writing ----------------------------------------------------------------

    def setup(self) -> None:
        """The tables come with the migrations: nothing to create."""

    def refresh(self) -> None:
        """Writes are visible when committed."""

    @property
    def postgresql(self) -> bool:
        return connection.vendor == "postgresql"

    def index(self, kind: Kind, documents: list[dict]) -> list[IndexFailure]:
        failures: list[IndexFailure] = []
        newest: dict[int, Row] = {}
        for document in documents:
            try:
                row = prepare(kind, document)
            except Malformed as error:
                failures.append(IndexFailure(kind, document_id(document), str(error)))
                continue
            if row.object_id not in newest or newest[row.object_id].revision < row.revision:
                newest[row.object_id] = row
        # Rows in id order: concurrent writers lock them in the same order.
        rows = [newest[object_id] for object_id in sorted(newest)]
        for batch in chunks(rows, BATCH):
            try:
                with transaction.atomic():
                    self._write(batch)
            except (DataError, IntegrityError):
                for row in batch:  # find the ones the database refuses
                    try:
                        with transaction.atomic():
                            self._write([row])
                    except (DataError, IntegrityError) as error:
                        reason = f"refused by the database: {error}".strip()
                        failures.append(IndexFailure(kind, row.object_id, reason))
        return failures

    def _write(self, rows: list[Row]) -> None:
        """Upsert rows whose revision is newer than the stored one, then rewrite their
        values and text. The conditional upsert makes a concurrent older write a no-op."""
        quote = connection.ops.quote_name
        meta = SearchEntry._meta
        names = list(rows[0].columns)
        columns = [quote(name) for name in names]
        placeholders = ["%s"] * len(names)
        if self.postgresql:
            columns.append(quote("search"))
            placeholders.append(
                "setweight(to_tsvector('english'::regconfig, %s), 'A')"
                " || setweight(to_tsvector('english'::regconfig, %s), 'B')"
                " || setweight(to_tsvector('english'::regconfig, %s), 'C')"
            )
        params: list = []
        for row in rows:
            params += [
                meta.get_field(name).get_db_prep_save(row.columns[name], connection)
                for name in names
            ]
            if self.postgresql:
                texts = row.texts
                params += [
                    texts["title"],
                    text_of([texts["keywords"], texts["taxa"]]),
                    text_of(texts[name] for name in C_WEIGHTED),
                ]
        table = quote(meta.db_table)
        key = {quote("kind"), quote("object_id")}
        updates = [f"{column} = excluded.{column}" for column in columns if column not in key]
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 - no input
            + ", ".join(f"({', '.join(placeholders)})" for _ in rows)
            + f" ON CONFLICT ({quote('kind')}, {quote('object_id')}) DO UPDATE SET "
            + ", ".join(updates)
            + f" WHERE {table}.{quote('revision')} < excluded.{quote('revision')}"
            + f" RETURNING {quote('id')}, {quote('object_id')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            written = dict((object_id, entry_id) for entry_id, object_id in cursor.fetchall())
        if not written:
            return
        by_id = {row.object_id: row for row in rows}
        entry_ids = list(written.values())
        SearchValue.objects.filter(entry_id__in=entry_ids).delete()
        SearchValue.objects.bulk_create(
            [
                SearchValue(entry_id=entry_id, field=name, value=value)
                for object_id, entry_id in written.items()
                for name, value in sorted(by_id[object_id].values)
            ],
            batch_size=500,
        )
        if not self.postgresql:
            self._delete_text(entry_ids)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) VALUES "  # noqa: S608
                    f"(%s{', %s' * len(FTS_COLUMNS)})",
                    [
                        [entry_id, *(by_id[object_id].texts[name] for name in FTS_COLUMNS)]
                        for object_id, entry_id in written.items()
                    ],
                )

    def _delete_text(self, entry_ids: list[int]) -> None:
        if not self.postgresql and entry_ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT value FROM json_each(%s))",  # noqa: S608
                    [json.dumps(entry_ids)],
                )

    def _remove(self, entry_ids: list[int]) -> None:
        SearchValue.objects.filter(entry_id__in=entry_ids).delete()
        self._delete_text(entry_ids)
        SearchEntry.objects.filter(id__in=entry_ids).delete()

    def delete(self, kind: Kind, ids: list[int]) -> None:
        with transaction.atomic():
            for batch in chunks(sorted(set(ids)), 500):
                entries = SearchEntry.objects.filter(kind=kind, object_id__in=batch)
                self._remove(list(entries.values_list("id", flat=True)))

    def revisions(self, kind: Kind) -> dict[int, int]:
        return dict(SearchEntry.objects.filter(kind=kind).values_list("object_id", "revision"))

    def rebuild(
        self, kind: Kind, batches: Iterable[list[dict]], progress: Progress | None = None
    ) -> None:
        """One transaction: readers see the old documents until it commits."""
        with transaction.atomic():
            SearchValue.objects.filter(entry__kind=kind).delete()
            if not self.postgresql:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"DELETE FROM {FTS_TABLE} WHERE rowid IN "  # noqa: S608
                        f"(SELECT id FROM {SearchEntry._meta.db_table} WHERE kind = %s)",
                        [kind],
                    )
            SearchEntry.objects.filter(kind=kind).delete()
            for batch in batches:
                batch = list(batch)
                for failure in self.index(kind, batch):
                    logger.warning(
                        "rebuild: %s %s not indexed: %s", kind, failure.id, failure.reason
                    )
                if progress:
                    progress(len(batch))
            # Fresh statistics, so the planner knows how selective each index is.
            with connection.cursor() as cursor:
                for model in (SearchEntry, SearchValue):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    # --- reading ----------------------------------------------------------------

    def _filtered(self, query: SearchQuery, visibility: Visibility, tokens: list[str]):
        entries = SearchEntry.objects.filter(kind=query.kind).filter(
            access.index_filter(visibility)
        )
        for doc_field, values in query.terms().items():
            if doc_field == "set_id":
                try:
                    entries = entries.filter(set_id__in=[int(value) for value in values])
                except (TypeError, ValueError) as error:
                    raise QueryError("image_set", "must be whole numbers") from error
            elif doc_field == "access":
                entries = entries.filter(access__in=[str(value) for value in values])
            else:
                matching = SearchValue.objects.filter(
                    field=doc_field, value__in=[str(value) for value in values]
                ).values("entry_id")
                entries = entries.filter(id__in=matching)
        if query.has_annotations is not None:
            entries = entries.filter(has_annotations=query.has_annotations)
        # Ranges overlap; a missing end never matches (SQL NULL), as in the engines.
        if query.time_to is not None:
            entries = entries.filter(time_start__lte=aware(query.time_to))
        if query.time_from is not None:
            entries = entries.filter(time_end__gte=aware(query.time_from))
        if query.depth_max is not None:
            entries = entries.filter(depth_min__lte=query.depth_max)
        if query.depth_min is not None:
            entries = entries.filter(depth_max__gte=query.depth_min)
        if tokens:
            if self.postgresql:
                entries = entries.filter(search=self.text_query(tokens))
            else:
                matching = RawSQL(  # noqa: S611 - constant SQL, text as a parameter
                    f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
                    [fts_expression(tokens)],
                )
                entries = entries.filter(id__in=matching)
        elif query.text.strip():
            # Only punctuation or stop words: nothing to match (as the engines).
            entries = entries.none()
        if query.bbox is not None:
            rectangle = [geometry.rectangle_ring(query.bbox)]
            entries = self._meeting(entries, rectangle, refine_all=False)
        if query.polygon is not None:
            ring = [[float(lon), float(lat)] for lon, lat in query.polygon]
            entries = self._meeting(entries, [ring], refine_all=True)
        return entries

    @staticmethod
    def box_intersects(bbox) -> Q:
        """The document's box intersects [west, south, east, north] (west <= east);
        a document box with west > east crosses the antimeridian."""
        west, south, east, north = bbox
        latitudes = Q(west__isnull=False, south__lte=north, north__gte=south)
        plain = Q(west__lte=F("east")) & Q(west__lte=east, east__gte=west)
        crossing = Q(west__gt=F("east")) & (Q(west__lte=east) | Q(east__gte=west))
        return latitudes & (plain | crossing)

    @staticmethod
    def text_query(tokens: list[str]) -> TextQuery:
        return TextQuery(" ".join(tokens), config="english", search_type="plain")

    def _meeting(self, entries: QuerySet, shape: list, *, refine_all: bool) -> QuerySet:
        """Documents whose coverage meets the shape: their extent meets its bounding
        box (SQL), then the real shapes are checked here, in Python. For a query
        rectangle only polygon coverages need checking; for a query polygon, all."""
        entries = entries.filter(self.box_intersects(geometry.ring_bounds(shape[0])))
        candidates = entries if refine_all else entries.filter(has_polygon=True)
        rows = candidates.values_list(
            "id", "west", "south", "east", "north", "has_polygon", "document__polygon"
        )
        outside = [row[0] for row in rows.iterator(chunk_size=2000) if not meets(row[1:], shape)]
        if outside:
            entries = entries.exclude(id__in=self.id_list(outside))
        return entries

    def id_list(self, ids: list[int]) -> RawSQL:
        """A subquery of these ids, one parameter whatever their number."""
        if self.postgresql:
            return RawSQL("SELECT unnest(%s::bigint[])", [ids])
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])

    def search(self, query: SearchQuery, visibility: Visibility) -> SearchResult:
        query.validate()
        position = read_page_token(self.name, query)
        tokens = words(query.text)
        entries = self._filtered(query, visibility, tokens)
        total = entries.count()
        if not total:
            return SearchResult(hits=[], total=0, facets={name: [] for name in query.facets})
        facets = self._facets(entries, query.facets)

        offset = (query.page - 1) * query.page_size
        size = query.page_size + 1  # one more: is there a next page?
        fields = ["id", "object_id", "document", "created", "size"]
        scores: dict[int, float] = {}
        if query.sort == "relevance" and tokens:
            if position is not None:
                if len(position) != 1 or not isinstance(position[0], int) or position[0] < 0:
                    raise QueryError("after", "belongs to another search")
                offset = position[0]
            ranked = self._ranked(entries, tokens, offset, size)
            scores = dict(ranked)
            found = {
                row["id"]: row for row in SearchEntry.objects.filter(id__in=scores).values(*fields)
            }
            rows = [found[entry_id] for entry_id, _ in ranked if entry_id in found]
        else:
            key = "size" if query.sort == "largest" else "created"
            ordered = entries.order_by(F(key).desc(), F("object_id").desc())
            if position is not None:
                ordered = ordered.filter(self.after(key, position))
                offset = 0
            rows = list(ordered.values(*fields)[offset : offset + size])
        more = len(rows) > query.page_size
        rows = rows[: query.page_size]

        highlights: dict[int, dict[str, list[str]]] = {}
        if tokens and rows:
            page_scores, highlights = self._page_text(tokens, rows, query.highlight)
            scores = scores or page_scores
        hits = [
            Hit(
                id=row["object_id"],
                kind=query.kind,
                score=scores.get(row["id"]) if tokens else None,
                document=row["document"],
                highlights=highlights.get(row["id"], {}),
            )
            for row in rows
        ]
        next_page = None
        if more:
            last = rows[-1]
            if query.sort == "relevance" and tokens:
                next_position = [offset + query.page_size]
            elif query.sort == "largest":
                next_position = [last["size"], last["object_id"]]
            else:
                next_position = [aware(last["created"]).isoformat(), last["object_id"]]
            next_page = make_page_token(self.name, query, next_position)
        return SearchResult(hits=hits, total=total, facets=facets, next_page=next_page)

    def _ranked(
        self, entries: QuerySet, tokens: list[str], offset: int, limit: int
    ) -> list[tuple[int, float]]:
        """(entry id, score) of the matching entries, best first (ties: lowest id)."""
        if self.postgresql:
            rank = SearchRank(F("search"), self.text_query(tokens), weights=RANK_WEIGHTS)
            ranked = entries.annotate(score=rank).order_by(F("score").desc(), F("object_id"))
            rows = ranked.values_list("id", "score")[offset : offset + limit]
            return [(entry_id, float(score)) for entry_id, score in rows]
        # SQLite: FTS5 drives (CROSS JOIN keeps it outermost), bm25 is its `rank`
        # (lower is better); the filtered entries come in as a subquery.
        subquery, params = entries.values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.id, {FTS_TABLE}.rank FROM {FTS_TABLE}"  # noqa: S608 - no input
                f" CROSS JOIN {SearchEntry._meta.db_table} AS e ON e.id = {FTS_TABLE}.rowid"
                f" WHERE {FTS_TABLE} MATCH %s AND e.id IN ({subquery})"
                f" ORDER BY {FTS_TABLE}.rank, e.object_id LIMIT %s OFFSET %s",
                [fts_expression(tokens), *params, limit, offset],
            )
            return [(entry_id, -rank) for entry_id, rank in cursor.fetchall()]

    @staticmethod
    def after(key: str, position: list) -> Q:
        """Keyset: rows after the position (value, id) in (key desc, id desc) order."""
        if len(position) != 2 or not isinstance(position[1], int):
            raise QueryError("after", "belongs to another search")
        value, object_id = position
        try:
            value = datetime.fromisoformat(value) if key == "created" else int(value)
        except (TypeError, ValueError) as error:
            raise QueryError("after", "belongs to another search") from error
        return Q(**{f"{key}__lt": value}) | Q(**{key: value, "object_id__lt": object_id})

    def _facets(self, entries: QuerySet, names: list[str]) -> dict[str, list[FacetValue]]:
        counts: dict[str, Counter] = {}
        value_fields = {FACETS[name] for name in names if FACETS[name] in VALUE_FIELDS}
        if value_fields:
            for doc_field, value, n in self._value_counts(entries, sorted(value_fields)):
                if doc_field in INT_VALUE_FIELDS:
                    value = int(value)
                counts.setdefault(doc_field, Counter())[value] = n
        for column in ("access", "has_annotations"):
            if column in {FACETS[name] for name in names}:
                grouped = entries.values_list(column).annotate(n=Count("id")).order_by()
                counts[column] = Counter({value: n for value, n in grouped if value != ""})
        return {
            name: [
                FacetValue(value, n)
                for value, n in sorted(
                    counts.get(FACETS[name], Counter()).items(),
                    key=lambda item: (-item[1], item[0]),
                )[:FACET_SIZE]
            ]
            for name in names
        }

    def _value_counts(self, entries: QuerySet, fields: list[str]) -> Iterable[tuple]:
        """(field, value, number of entries) over the entries, empty values left out."""
        if self.postgresql:
            return (
                SearchValue.objects.filter(field__in=fields, entry_id__in=entries.values("id"))
                .exclude(value="")
                .values_list("field", "value")
                .annotate(n=Count("id"))
                .order_by()
            )
        # SQLite: walk the matching entries and look their values up by the unique
        # (entry, field, value) index; CROSS JOIN fixes that order, whatever the
        # planner's statistics (scanning every value of a field is far slower).
        subquery, params = entries.values("id").query.sql_with_params()
        placeholders = ", ".join(["%s"] * len(fields))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT v.field, v.value, COUNT(*) FROM ({subquery}) AS e"  # noqa: S608
                f" CROSS JOIN {SearchValue._meta.db_table} AS v ON v.entry_id = e.id"
                f" WHERE v.field IN ({placeholders}) AND v.value <> ''"
                " GROUP BY v.field, v.value",
                [*params, *fields],
            )
            return cursor.fetchall()

    def _page_text(
        self, tokens: list[str], rows: list[dict], highlight: bool
    ) -> tuple[dict[int, float], dict[int, dict[str, list[str]]]]:
        """Scores of the page's entries and, when asked, fragments of their title and
        description with the matched words marked (HTML, everything else escaped)."""
        scores: dict[int, float] = {}
        raw: dict[int, tuple[str | None, str | None]] = {}
        if self.postgresql:
            rank = SearchRank(F("search"), self.text_query(tokens), weights=RANK_WEIGHTS)
            page = SearchEntry.objects.filter(id__in=[row["id"] for row in rows])
            scores = {i: float(score) for i, score in page.annotate(s=rank).values_list("id", "s")}
            if highlight:
                titles = self._headlines(
                    tokens,
                    [str(row["document"].get("title") or "") for row in rows],
                    f"StartSel={START}, StopSel={STOP}, HighlightAll=true",
                )
                descriptions = self._headlines(
                    tokens,
                    [str(row["document"].get("description") or "") for row in rows],
                    f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15",
                )
                raw = {
                    row["id"]: (title, description)
                    for row, title, description in zip(rows, titles, descriptions, strict=True)
                }
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT rowid, rank, highlight({FTS_TABLE}, 0, %s, %s),"  # noqa: S608
                    f" snippet({FTS_TABLE}, 3, %s, %s, %s, %s)"
                    f" FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
                    " AND rowid IN (SELECT value FROM json_each(%s))",
                    [
                        START,
                        STOP,
                        START,
                        STOP,
                        ELLIPSIS,
                        SNIPPET_TOKENS,
                        fts_expression(tokens),
                        json.dumps([row["id"] for row in rows]),
                    ],
                )
                for entry_id, rank, title, description in cursor.fetchall():
                    scores[entry_id] = -rank
                    if highlight:
                        raw[entry_id] = (title, description)
        found: dict[int, dict[str, list[str]]] = {}
        for entry_id, (title, description) in raw.items():
            marked = {}
            if (title_html := fragment(title)) is not None:
                marked["title"] = [title_html]
            if (description_html := fragment(description)) is not None:
                marked["description"] = [description_html]
            if marked:
                found[entry_id] = marked
        return scores, found

    @staticmethod
    def _headlines(tokens: list[str], texts: list[str], options: str) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ts_headline('english'::regconfig, u.text,"
                " plainto_tsquery('english'::regconfig, %s), %s)"
                " FROM unnest(%s::text[]) WITH ORDINALITY AS u(text, n) ORDER BY u.n",
                [" ".join(tokens), options, [text.translate(UNSAFE) for text in texts]],
            )
            return [headline for (headline,) in cursor.fetchall()]

    def suggest(self, prefix: str, visibility: Visibility, limit: int = 10) -> list[str]:
        """Titles, taxa and instruments of visible sets starting with `prefix`, the
        most frequent (in sets) first, then in code point order. Sets only: every
        image repeats its set's title and instrument."""
        prefix = (prefix or "").strip()
        if not prefix or limit <= 0:
            return []
        visible = SearchEntry.objects.filter(kind="set").filter(access.index_filter(visibility))
        counts: Counter = Counter()
        titles = (
            visible.filter(title__istartswith=prefix)
            .values_list("title")
            .annotate(n=Count("id"))
            .order_by()
        )
        for title, n in titles:
            counts[title] += n
        values = (
            SearchValue.objects.filter(
                field__in=("taxa", "instrument"),
                value__istartswith=prefix,
                entry_id__in=visible.values("id"),
            )
            .values_list("value")
            .annotate(n=Count("id"))
            .order_by()
        )
        for value, n in values:
            counts[value] += n
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [value for value, _ in ranked[:limit]]
