"""Queries of the engine backend: request bodies, results, facets, suggestions.

Requests are built with the DSL shipped in elasticsearch-py (`elasticsearch.dsl`)
into plain dict bodies, so the same code serves OpenSearch and Elasticsearch.

Areas: with `geo_shape`, the coverage's shape is matched by the engine. Without
it, the coverage is filtered by its bounding box (four numeric fields) and the
candidates whose real shape might not intersect (set polygons, or any document
under a polygon query) are checked here in Python (catalogue/geometry.py),
then excluded by id, so hits, total and facets stay exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from elasticsearch.dsl import A, Q, Search
from elasticsearch.dsl.aggs import Agg
from elasticsearch.dsl.query import Query

from catalogue import access, geometry
from catalogue.access import Visibility
from catalogue.search.backends.engine.connection import EngineConnection
from catalogue.search.backends.engine.mappings import (
    GEO,
    HIGHLIGHT_FIELDS,
    PARTS,
    SUGGEST_FIELDS,
    TEXT_FIELDS,
)
from catalogue.search.query import FACETS, QueryError, SearchQuery, make_page_token, read_page_token
from catalogue.search.results import FacetValue, Hit, SearchResult

FACET_SIZE = 50
MAX_TERMS = 60_000  # ids per terms query (index.max_terms_count is 65536)


class EngineQueries(EngineConnection):
    max_window = 10_000  # index.max_result_window: from + size beyond it is refused

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
                must_not=[Q("terms", id=chunk) for chunk in chunks(excluded, MAX_TERMS)],
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
        search = search.source(excludes=[GEO, PARTS])
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

    def _filters(self, query: SearchQuery, visibility: Visibility) -> list[Query]:
        filters: list[Query] = [f for f in [access.engine_filter(visibility)] if f is not None]
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

    def _geo_filter(self, shape: geometry.Shape) -> Query:
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
            "geo_shape",
            **{f"{GEO}.shape": {"shape": geometry.geo_shape(shape), "relation": "intersects"}},
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
        self, index: str, query: SearchQuery, filters: list[Query], text: Query | None
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
            .sort({"id": {"order": "asc"}})
            .extra(size=self.scan_size, track_total_hits=False)
        )
        outside = []
        for hit in self._scan(index, search):
            found = geometry.coverage(hit.get("_source") or {})
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


# --- query pieces ---------------------------------------------------------------------


def text_query(query: SearchQuery) -> Query | None:
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


def facet_aggregation(doc_field: str) -> Agg:
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


def query_shapes(query: SearchQuery) -> list[geometry.Shape]:
    shapes = []
    if query.bbox is not None:
        shapes.append(geometry.bbox_shape(query.bbox))
    if query.polygon is not None:
        shapes.append(geometry.ring_shape(query.polygon))
    return shapes


def extent_query(extent: tuple[float, float, float, float]) -> Query:
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


def chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
