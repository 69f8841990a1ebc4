"""The search-engine backend: OpenSearch or Elasticsearch behind one class.

Requests are built with the DSL shipped in elasticsearch-py (`elasticsearch.dsl`)
into plain dict bodies and sent by whichever client `engine.connect()` gave, so
the same code serves both servers.

Indexes: one per kind, always reached through an alias (`{prefix}-sets`,
`{prefix}-images`) that names one concrete index `{alias}-{timestamp}`. A
rebuild fills a new concrete index and swaps the alias in one `_aliases` call,
so readers see the old index, complete, until the new one is complete. While a
rebuild runs, a second alias (`{alias}-building`) names the new index and
`index()`/`delete()` write to both: a change committed after the rebuild read
its row is not lost. Writes are versioned by the document's revision (external
versioning), so double and late writes are harmless.

What the server lacks is probed once (see mappings.Capabilities): without the
`english` analyzer the text fields use `standard`; without `geo_shape` the
coverage is filtered by its bounding box (four numeric fields) and the
candidates whose real shape might not intersect (set polygons, or any document
under a polygon query) are checked here in Python, then excluded by id, so
hits, total and facets stay exact.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise

from django.conf import settings
from elasticsearch.dsl import A, Q, Search

from catalogue import access
from catalogue.access import Visibility
from catalogue.search.backends.base import IndexFailure, Progress, SearchBackend
from catalogue.search.engine import SearchEngineError, connect
from catalogue.search.geometry import point_in_polygon, polygons_intersect
from catalogue.search.mappings import (
    GEO,
    HIGHLIGHT_FIELDS,
    SUGGEST_FIELDS,
    TEXT_FIELDS,
    Capabilities,
    index_settings,
    mappings,
)
from catalogue.search.query import (
    FACETS,
    KINDS,
    Kind,
    QueryError,
    SearchQuery,
    make_page_token,
    read_page_token,
)
from catalogue.search.results import FacetValue, Hit, SearchResult

logger = logging.getLogger(__name__)

INDEX_NAMES = {"set": "sets", "image": "images"}
FACET_SIZE = 50
MAX_TERMS = 60_000  # ids per terms query (index.max_terms_count is 65536)
VERSION_CONFLICT = "version_conflict_engine_exception"
INDEX_NOT_FOUND = "index_not_found_exception"

# Capabilities probed per server, once per process.
_probed: dict[tuple[str, str], Capabilities] = {}
_probe_lock = threading.Lock()


class EngineBackend(SearchBackend):
    bulk_chunk = 500  # documents per bulk request
    scan_size = 2000  # hits per page when reading everything (revisions, geo refinement)
    max_window = 10_000  # index.max_result_window: from + size beyond it is refused
    retire_delay = 1.0  # seconds between the alias swap and dropping the old index
    tombstone_wait = 0.25  # seconds after deletes before the refresh that prunes tombstones

    def __init__(
        self,
        url: str | None = None,
        kind: str | None = None,
        prefix: str | None = None,
        *,
        capabilities: Capabilities | None = None,
    ):
        self.engine = connect(url, kind)
        self.name = self.engine.kind
        self.prefix = (prefix or settings.SEARCH_INDEX_PREFIX).lower()
        self._capabilities = capabilities
        self._ready = False

    # -- what the server offers ---------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        if self._capabilities is None:
            key = (self.engine.kind, self.engine.url)
            with _probe_lock:
                if key not in _probed:
                    _probed[key] = self._probe()
                self._capabilities = _probed[key]
        return self._capabilities

    @property
    def stems_english(self) -> bool:
        return self.capabilities.english

    def _probe(self) -> Capabilities:
        caps = Capabilities(
            english=self._analyzes({"analyzer": "english", "text": "running"}),
            lowercase=self._analyzes(
                {"tokenizer": "standard", "filter": ["lowercase"], "text": "Running"}
            ),
            geo_shape=self._has_geo_shape(),
        )
        logger.info("search: %s at %s offers %s", self.name, self.engine.url, caps)
        return caps

    def _analyzes(self, body: dict) -> bool:
        try:
            self.engine.analyze(body)
        except SearchEngineError as error:
            if error.status == 400:  # the analyzer or filter does not exist
                return False
            raise
        return True

    def _has_geo_shape(self) -> bool:
        scratch = f"{self.prefix}-probe-{uuid.uuid4().hex}"
        try:
            self.engine.create_index(
                scratch,
                settings={"number_of_shards": 1, "number_of_replicas": 0},
                mappings={"properties": {"coverage": {"type": "geo_shape"}}},
            )
        except SearchEngineError as error:
            if error.status == 400:  # "the mapper type [geo_shape] ... does not exist"
                return False
            raise
        self.engine.delete_index(scratch)
        return True

    # -- indexes and aliases ------------------------------------------------

    def alias(self, kind: Kind) -> str:
        return f"{self.prefix}-{INDEX_NAMES[kind]}"

    def building_alias(self, kind: Kind) -> str:
        return f"{self.alias(kind)}-building"

    @staticmethod
    def _new_index_name(alias: str) -> str:
        return f"{alias}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"

    def _create_index(self, name: str, aliases: dict) -> None:
        caps = self.capabilities
        self.engine.create_index(
            name, settings=index_settings(caps), mappings=mappings(caps), aliases=aliases
        )

    def setup(self) -> None:
        for kind in KINDS:
            alias = self.alias(kind)
            if self.engine.alias_exists(alias):
                continue
            if self.engine.index_exists(alias):
                raise SearchEngineError(
                    f"{alias} is an index, not an alias: rebuild the {kind} index to replace it"
                )
            name = self._new_index_name(alias)
            self._create_index(name, {alias: {}})
            # Two processes setting up at once: the oldest index wins, the other goes.
            behind = self.engine.alias_indices(alias)
            if len(behind) > 1 and name != behind[0]:
                self.engine.delete_index(name)
        self._ready = True

    def _ensure_ready(self) -> None:
        # A write to a missing alias would auto-create an index with guessed mappings.
        if not self._ready:
            self.setup()

    def _write_targets(self, kind: Kind) -> list[str]:
        targets = [self.alias(kind)]
        if self.engine.alias_exists(self.building_alias(kind)):
            targets.append(self.building_alias(kind))
        return targets

    def refresh(self) -> None:
        for kind in KINDS:
            try:
                self.engine.refresh(self.alias(kind))
            except SearchEngineError as error:
                if error.status != 404:
                    raise

    # -- writes -------------------------------------------------------------

    def prepare(self, document: dict) -> dict:
        """The source to index: the document plus its derived coverage fields."""
        source = dict(document)
        source.pop(GEO, None)
        cov = coverage(document)
        if cov is not None:
            fields: dict = {"kind": cov.kind, **dict(zip(EXTENT, cov.extent, strict=True))}
            if self.capabilities.geo_shape:
                fields["shape"] = cov.geojson
            source[GEO] = fields
        return source

    def index(self, kind: Kind, documents: list[dict]) -> list[IndexFailure]:
        """Versioned upserts (external version = revision).

        A stale or equal revision is a version conflict and is ignored; any other
        refused item is returned as an IndexFailure. Items refused for a passing
        reason (429 or 5xx: the engine is overloaded) raise SearchEngineError
        instead, so the caller keeps them and retries.
        """
        if not documents:
            return []
        self._ensure_ready()
        return self._bulk_index(kind, documents, self._write_targets(kind))

    def _bulk_index(
        self, kind: Kind, documents: list[dict], targets: list[str]
    ) -> list[IndexFailure]:
        failures: dict[object, IndexFailure] = {}
        transient: list[str] = []
        for start in range(0, len(documents), self.bulk_chunk):
            operations: list[dict] = []
            sent: list[int] = []
            for document in documents[start : start + self.bulk_chunk]:
                doc_id = document.get("id")
                try:
                    source = self.prepare(document)
                    meta = {"_id": str(int(doc_id)), "version": int(document["revision"])}
                except (KeyError, TypeError, ValueError) as error:
                    failures.setdefault(
                        doc_id, IndexFailure(kind, doc_id, f"invalid document: {error!r}")
                    )
                    continue
                for target in targets:
                    action = {"_index": target, **meta, "version_type": "external"}
                    operations += [{"index": action}, source]
                    sent.append(int(doc_id))
            if not operations:
                continue
            response = self.engine.bulk(operations)
            for doc_id, outcome in zip(sent, self._items(response, len(sent)), strict=True):
                status, error = outcome
                if error is None or error.get("type") == VERSION_CONFLICT:
                    continue
                if status == 429 or status >= 500:
                    transient.append(f"{doc_id}: {_reason(error)}")
                    continue
                failures.setdefault(doc_id, IndexFailure(kind, doc_id, _reason(error)))
        if transient:
            raise SearchEngineError(
                f"search engine refused {len(transient)} {kind} document(s) for now: "
                + "; ".join(transient[:5]),
                status=429,
            )
        return list(failures.values())

    @staticmethod
    def _items(response: dict, expected: int) -> Iterator[tuple[int, dict | None]]:
        """(status, error or None) of every bulk item, in request order."""
        items = response.get("items") or []
        if len(items) != expected:
            raise SearchEngineError(f"bulk answered {len(items)} items for {expected} sent")
        for item in items:
            (result,) = item.values()
            status = int(result.get("status", 500))
            error = result.get("error")
            if error is None and status >= 300 and result.get("result") != "not_found":
                error = {"type": "unknown", "reason": f"status {status}"}
            yield status, (error if error is None or isinstance(error, dict) else {"reason": error})

    def delete(self, kind: Kind, ids: list[int]) -> None:
        if not ids:
            return
        self._ensure_ready()
        targets = self._write_targets(kind)
        for start in range(0, len(ids), self.bulk_chunk):
            chunk = ids[start : start + self.bulk_chunk]
            operations = [
                {"delete": {"_index": target, "_id": str(int(doc_id))}}
                for target in targets
                for doc_id in chunk
            ]
            response = self.engine.bulk(operations)
            refused = [
                f"{_reason(error)} (status {status})"
                for status, error in self._items(response, len(operations))
                if error is not None
            ]
            if refused:
                raise SearchEngineError(
                    f"search engine refused {len(refused)} deletion(s): {refused[0]}"
                )
        # A delete leaves a tombstone with a version above the document's revision;
        # the engine prunes it (gc_deletes is 0) at a refresh once its coarse clock
        # (ticking every 200 ms) has moved on. Until then the document could not be
        # indexed again at its own revision.
        time.sleep(self.tombstone_wait)
        for target in targets:
            self.engine.refresh(target)

    def rebuild(
        self, kind: Kind, batches: Iterable[list[dict]], progress: Progress | None = None
    ) -> None:
        alias, building = self.alias(kind), self.building_alias(kind)
        for stale in self.engine.alias_indices(building):
            # A rebuild that died half-way (concurrent rebuilds are not supported).
            logger.warning("search: dropping %s, left behind by an unfinished rebuild", stale)
            self.engine.delete_index(stale)
        new = self._new_index_name(alias)
        caps = self.capabilities
        self.engine.create_index(
            new,
            settings={**index_settings(caps), "refresh_interval": "-1"},
            mappings=mappings(caps),
            aliases={building: {}},
        )
        try:
            for batch in batches:
                if not batch:
                    continue
                for failure in self._bulk_index(kind, batch, [new]):
                    logger.error("search: %s %s not indexed: %s", kind, failure.id, failure.reason)
                if progress is not None:
                    progress(len(batch))
            self.engine.put_settings(new, {"index": {"refresh_interval": None}})
            self.engine.refresh(new)
            old = self.engine.alias_indices(alias)
            actions: list[dict] = [{"remove": {"index": name, "alias": alias}} for name in old]
            if not old and self.engine.index_exists(alias):
                actions.append({"remove_index": {"index": alias}})  # a stray concrete index
            actions += [
                {"add": {"index": new, "alias": alias}},
                {"remove": {"index": new, "alias": building}},
            ]
            self.engine.update_aliases(actions)
        except BaseException:
            with contextlib.suppress(SearchEngineError):
                self.engine.delete_index(new)
            raise
        self._ready = True
        old = [name for name in old if name != new]
        if old:
            time.sleep(self.retire_delay)  # let searches that resolved the alias finish
            for name in old:
                self.engine.delete_index(name)

    def drop(self) -> None:
        """Delete every index of this prefix (tests and benchmarks clean up with it)."""
        client = self.engine.client
        for name in client.indices.get(index=f"{self.prefix}-*", ignore_unavailable=True):
            client.indices.delete(index=name, ignore_unavailable=True)

    def revisions(self, kind: Kind) -> dict[int, int]:
        """Read after a refresh: reconciliation must see every write made so far."""
        try:
            self.engine.refresh(self.alias(kind))
        except SearchEngineError as error:
            if error.error_type != INDEX_NOT_FOUND:
                raise
        found: dict[int, int] = {}
        search = (
            Search()
            .source(False)
            .sort({"id": "asc"})
            .extra(size=self.scan_size, version=True, track_total_hits=False)
        )
        for hit in self._scan(self.alias(kind), search):
            found[int(hit["_id"])] = int(hit["_version"])
        return found

    def _scan(self, index: str, search: Search) -> Iterator[dict]:
        """Every hit of a search sorted on `id`, page by page with search_after."""
        after = None
        while True:
            page = search.extra(search_after=after) if after is not None else search
            response = self._send(index, page.to_dict())
            hits = response["hits"]["hits"] if response else []
            yield from hits
            if len(hits) < self.scan_size:
                return
            after = hits[-1]["sort"]

    def _send(self, index: str, body: dict) -> dict | None:
        """A search; None when the index does not exist yet (nothing was set up)."""
        try:
            response = self.engine.search(index, body)
        except SearchEngineError as error:
            if error.error_type == INDEX_NOT_FOUND:
                return None
            raise
        shards = response.get("_shards") or {}
        if shards.get("failed"):
            failure = (shards.get("failures") or [{}])[0]
            raise SearchEngineError(
                f"search on {index} failed on {shards['failed']} shard(s): "
                f"{_reason(failure.get('reason') or {})}"
            )
        return response

    # -- search -------------------------------------------------------------

    def search(self, query: SearchQuery, visibility: Visibility) -> SearchResult:
        index, body = self.request_for(query, visibility)
        position = read_page_token(self.name, query)
        response = self._send(index, body)
        return self._result(query, position, response)

    def request_for(self, query: SearchQuery, visibility: Visibility) -> tuple[str, dict]:
        """The index and the request body a search sends (the benchmark replays it bare)."""
        query.validate()
        position = read_page_token(self.name, query)
        index = self.alias(query.kind)
        text = text_query(query)
        filters = self._filters(query, visibility)
        excluded: list[int] = []
        if (query.bbox or query.polygon) and not self.capabilities.geo_shape:
            excluded = self._geo_false_positives(index, query, filters, text)
        search = Search().query(
            Q(
                "bool",
                must=[text] if text else [],
                filter=filters,
                must_not=[Q("terms", id=chunk) for chunk in _chunks(excluded, MAX_TERMS)],
            )
        )
        search = search.sort(*sort_order(query, text is not None))
        if position is not None:
            search = search.extra(search_after=position, size=query.page_size + 1, **{"from": 0})
        else:
            start = (query.page - 1) * query.page_size
            if start + query.page_size > self.max_window:
                raise QueryError(
                    "page", f"goes past the first {self.max_window} hits: follow next_page instead"
                )
            search = search.extra(size=query.page_size, **{"from": start})
        search = search.extra(track_total_hits=True, track_scores=text is not None)
        search = search.source(excludes=[GEO])
        for name in query.facets:
            search.aggs.bucket(name, facet_aggregation(FACETS[name]))
        if query.highlight and text is not None:
            search = search.highlight_options(
                pre_tags=["<mark>"], post_tags=["</mark>"], encoder="html"
            )
            search = search.highlight(HIGHLIGHT_FIELDS[0], number_of_fragments=0)
            search = search.highlight(HIGHLIGHT_FIELDS[1], fragment_size=200, number_of_fragments=3)
        return index, search.to_dict()

    def _result(self, query: SearchQuery, position, response: dict | None) -> SearchResult:
        if response is None:
            return SearchResult(hits=[], total=0, facets={name: [] for name in query.facets})
        raw_hits = response["hits"]["hits"]
        total = int(response["hits"]["total"]["value"])
        if position is not None:
            more = len(raw_hits) > query.page_size
            raw_hits = raw_hits[: query.page_size]
        else:
            more = (query.page - 1) * query.page_size + len(raw_hits) < total
        hits = [
            Hit(
                id=int(hit["_id"]),
                kind=query.kind,
                score=hit.get("_score"),
                document=hit.get("_source") or {},
                highlights=dict(hit.get("highlight") or {}),
            )
            for hit in raw_hits
        ]
        aggregations = response.get("aggregations") or {}
        facets = {
            name: facet_values(name, aggregations.get(name, {}).get("buckets", []))
            for name in query.facets
        }
        next_page = None
        if more and raw_hits:
            next_page = make_page_token(self.name, query, raw_hits[-1]["sort"])
        return SearchResult(hits=hits, total=total, facets=facets, next_page=next_page)

    def _filters(self, query: SearchQuery, visibility: Visibility) -> list[Q]:
        filters = [f for f in [access.engine_filter(visibility)] if f is not None]
        for doc_field, values in query.terms().items():
            filters.append(Q("terms", **{doc_field: values}))
        if query.has_annotations is not None:
            filters.append(Q("term", has_annotations=query.has_annotations))
        if query.time_to is not None:
            filters.append(Q("range", time_start={"lte": query.time_to.isoformat()}))
        if query.time_from is not None:
            filters.append(Q("range", time_end={"gte": query.time_from.isoformat()}))
        if query.depth_max is not None:
            filters.append(Q("range", depth_min={"lte": query.depth_max}))
        if query.depth_min is not None:
            filters.append(Q("range", depth_max={"gte": query.depth_min}))
        for shape in query_shapes(query):
            filters.append(self._geo_filter(shape))
        return filters

    def _geo_filter(self, shape: Coverage) -> Q:
        """Documents whose coverage meets `shape`, boundaries included.

        Without geo_shape: their bounding box does (refined by the caller). With
        it: geo_shape intersects; for a bounding-box query, points and envelopes
        are also matched on their exact coordinates, since geo_shape rounds
        coordinates to its grid (about 1e-7 degrees) and can miss a shape that
        only touches the query box.
        """
        if not self.capabilities.geo_shape:
            return extent_query(shape.extent)
        intersects = Q(
            "geo_shape", **{f"{GEO}.shape": {"shape": shape.geojson, "relation": "intersects"}}
        )
        if shape.kind != "envelope":
            return intersects
        exact = Q(
            "bool",
            filter=[
                Q("terms", **{f"{GEO}.kind": ["envelope", "point"]}),
                extent_query(shape.extent),
            ],
        )
        return Q("bool", should=[intersects, exact], minimum_should_match=1)

    def _geo_false_positives(
        self, index: str, query: SearchQuery, filters: list[Q], text: Q | None
    ) -> list[int]:
        """Without geo_shape: the documents whose bounding box meets the query's
        shapes but whose real shape does not (checked here, in Python)."""
        shapes = query_shapes(query)
        candidates = [*filters, *([text] if text is not None else [])]
        if query.polygon is None:
            # A bounding-box query: only set polygons can be wider than the truth.
            candidates.append(Q("term", **{f"{GEO}.kind": "polygon"}))
        search = (
            Search()
            .query(Q("bool", filter=candidates))
            .source(["bbox", "polygon", "point"])
            .sort({"id": "asc"})
            .extra(size=self.scan_size, track_total_hits=False)
        )
        outside = []
        for hit in self._scan(index, search):
            found = coverage(hit.get("_source") or {})
            if found is None or not all(found.intersects(shape) for shape in shapes):
                outside.append(int(hit["_id"]))
        return outside

    def suggest(self, prefix: str, visibility: Visibility, limit: int = 10) -> list[str]:
        """Titles, taxa and instruments of visible sets starting with `prefix`,
        the most frequent (in number of sets) first, then alphabetically.

        Sets only: every image repeats its set's title and instrument, so
        counting images would rank by set size, not by how common a value is.
        """
        prefix = prefix.strip()
        if not prefix or limit <= 0:
            return []
        caps = self.capabilities
        starts = []
        for name, exact in SUGGEST_FIELDS.items():
            if caps.lowercase:
                starts.append(Q("prefix", **{f"{name}.lower": prefix.lower()}))
            else:
                starts.append(Q("prefix", **{exact: {"value": prefix, "case_insensitive": True}}))
        filters = [f for f in [access.engine_filter(visibility)] if f is not None]
        search = Search().query(
            Q("bool", filter=[*filters, Q("bool", should=starts, minimum_should_match=1)])
        )
        search = search.extra(size=0, track_total_hits=False)
        for name, exact in SUGGEST_FIELDS.items():
            search.aggs.bucket(
                name,
                A(
                    "terms",
                    field=exact,
                    size=max(limit * 2, 20),
                    include=prefix_pattern(prefix),
                    order=[{"_count": "desc"}, {"_key": "asc"}],
                ),
            )
        response = self._send(self.alias("set"), search.to_dict())
        if response is None:
            return []
        counts: Counter[str] = Counter()
        for name in SUGGEST_FIELDS:
            for bucket in response.get("aggregations", {}).get(name, {}).get("buckets", []):
                counts[str(bucket["key"])] += int(bucket["doc_count"])
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [value for value, _ in ranked[:limit]]


# -- query pieces -------------------------------------------------------------


def text_query(query: SearchQuery) -> Q | None:
    """Every term must match, in any of the text fields (one cross_fields group:
    they all share one analyzer)."""
    text = query.text.strip()
    if not text:
        return None
    return Q("multi_match", query=text, type="cross_fields", operator="and", fields=TEXT_FIELDS)


def sort_order(query: SearchQuery, has_text: bool) -> list[dict]:
    if query.sort == "relevance" and has_text:
        return [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}]
    if query.sort == "largest":
        return [{"size": {"order": "desc", "missing": "_last"}}, {"id": {"order": "desc"}}]
    return [{"created": {"order": "desc", "missing": "_last"}}, {"id": {"order": "desc"}}]


def facet_aggregation(doc_field: str) -> A:
    options: dict = {
        "field": doc_field,
        "size": FACET_SIZE,
        "order": [{"_count": "desc"}, {"_key": "asc"}],
    }
    if doc_field not in ("years", "has_annotations"):
        options["exclude"] = [""]
    return A("terms", **options)


def facet_values(name: str, buckets: list[dict]) -> list[FacetValue]:
    values = []
    for bucket in buckets:
        key = bucket["key"]
        if name == "year":
            value: str | int | bool = int(key)
        elif name == "has_annotations":
            value = bucket.get("key_as_string", str(key)).lower() in ("true", "1")
        else:
            value = str(key)
        values.append(FacetValue(value=value, count=int(bucket["doc_count"])))
    return values


def prefix_pattern(prefix: str) -> str:
    """A Lucene regexp matching any value starting with `prefix`, ignoring case."""
    parts = []
    for char in prefix:
        lower, upper = char.lower(), char.upper()
        if lower != upper and len(lower) == 1 and len(upper) == 1:
            parts.append(f"[{lower}{upper}]")
        elif char.isalnum():
            parts.append(char)
        else:
            parts.append("\\" + char)
    return "".join(parts) + ".*"


def extent_query(extent: tuple[float, float, float, float]) -> Q:
    """Bounding boxes that meet `extent` (west, south, east, north)."""
    west, south, east, north = extent
    return Q(
        "bool",
        filter=[
            Q("range", **{f"{GEO}.west": {"lte": east}}),
            Q("range", **{f"{GEO}.east": {"gte": west}}),
            Q("range", **{f"{GEO}.south": {"lte": north}}),
            Q("range", **{f"{GEO}.north": {"gte": south}}),
        ],
    )


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _reason(error: dict | str) -> str:
    if not isinstance(error, dict):
        return str(error)
    reason = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
    caused_by = error.get("caused_by")
    if isinstance(caused_by, dict) and caused_by.get("reason"):
        reason += f" ({caused_by['reason']})"
    return reason


# -- geometry -----------------------------------------------------------------

EXTENT = ("west", "south", "east", "north")
Point = tuple[float, float]
Ring = list[Point]


@dataclass
class Coverage:
    """Where a document (or a query) is: a point, an envelope (bbox) or polygons.

    `polygons` holds rings (outer first, then holes) for every shape that has an
    area (an envelope is one rectangle), so intersection is one algorithm.
    """

    kind: str  # "point" | "envelope" | "polygon"
    geojson: dict
    extent: tuple[float, float, float, float]
    point: Point | None = None
    polygons: list[list[Ring]] = field(default_factory=list)

    def intersects(self, other: Coverage) -> bool:
        """Does this shape meet `other` (a query shape), boundaries included?"""
        if self.point is not None:
            return any(point_in_polygon(self.point, rings) for rings in other.polygons)
        return any(
            polygons_intersect(mine, theirs) for mine in self.polygons for theirs in other.polygons
        )


def coverage(document: dict) -> Coverage | None:
    """The coverage of a document: its polygon, else its point, else its bbox."""
    polygon = document.get("polygon")
    if polygon:
        return polygon_coverage(polygon)
    point = document.get("point")
    if point:
        lon, lat = (float(v) for v in point)
        _check_point(lon, lat)
        return Coverage(
            "point", {"type": "point", "coordinates": [lon, lat]}, (lon, lat, lon, lat), (lon, lat)
        )
    bbox = document.get("bbox")
    if bbox:
        return bbox_coverage(bbox)
    return None


def query_shapes(query: SearchQuery) -> list[Coverage]:
    shapes = []
    if query.bbox is not None:
        shapes.append(bbox_coverage(query.bbox))
    if query.polygon is not None:
        shapes.append(polygon_coverage({"type": "Polygon", "coordinates": [query.polygon]}))
    return shapes


def bbox_coverage(bbox) -> Coverage:
    west, south, east, north = (float(v) for v in bbox)
    _check_point(west, south)
    _check_point(east, north)
    if west > east or south > north:
        raise ValueError(f"bbox {bbox} needs west <= east and south <= north")
    if west == east and south == north:
        geojson: dict = {"type": "point", "coordinates": [west, south]}
    elif west == east or south == north:  # a line: an envelope needs an area
        geojson = {"type": "linestring", "coordinates": [[west, south], [east, north]]}
    else:
        geojson = {"type": "envelope", "coordinates": [[west, north], [east, south]]}
    ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return Coverage("envelope", geojson, (west, south, east, north), polygons=[[ring]])


def polygon_coverage(polygon: dict) -> Coverage:
    """A GeoJSON Polygon or MultiPolygon; outer rings counter-clockwise, holes clockwise."""
    if not isinstance(polygon, dict) or polygon.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("polygon must be a GeoJSON Polygon or MultiPolygon")
    coordinates = polygon.get("coordinates") or []
    raw = coordinates if polygon["type"] == "MultiPolygon" else [coordinates]
    polygons = []
    for rings in raw:
        if not rings:
            raise ValueError("polygon without rings")
        polygons.append(
            [_ring(ring, counterclockwise=(number == 0)) for number, ring in enumerate(rings)]
        )
    points = [point for rings in polygons for point in rings[0]]
    extent = (
        min(p[0] for p in points),
        min(p[1] for p in points),
        max(p[0] for p in points),
        max(p[1] for p in points),
    )
    as_lists = [[[list(point) for point in ring] for ring in rings] for rings in polygons]
    if len(polygons) == 1:
        geojson = {"type": "polygon", "coordinates": as_lists[0]}
    else:
        geojson = {"type": "multipolygon", "coordinates": as_lists}
    return Coverage("polygon", geojson, extent, polygons=polygons)


def _check_point(lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"point {lon},{lat} is out of range")


def _ring(points, *, counterclockwise: bool) -> Ring:
    ring = [(float(p[0]), float(p[1])) for p in points]
    for lon, lat in ring:
        _check_point(lon, lat)
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise ValueError("a polygon ring needs at least 4 points")
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in pairwise(ring))
    if (area > 0) != counterclockwise and area != 0:
        ring.reverse()
    return ring
