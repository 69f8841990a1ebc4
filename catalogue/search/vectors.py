"""Image embeddings in the search engine, searched by its own kNN (Elasticsearch
`dense_vector`, HNSW), for "more like this".

One index per embedder version, `{prefix}-vectors-{version}`: a document per
image holding its vector and the visibility fields of its image document
(catalogue/search/documents.py), so a kNN search is filtered by the same access
clause as every search (`access.engine_filter`) and a hidden image is neither
returned nor counted. Documents are versioned by their image document's
revision (`external_gte`): a change of the set's access rewrites them with a
higher revision, and a late write of an older state is ignored.

OpenSearch offers vectors only through its k-NN plugin (`knn_vector`); a server
without it (as our minimal build) is reported as not supporting vectors.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings

from catalogue import access
from catalogue.access import Visibility
from catalogue.search.backends.engine.client import (
    ELASTICSEARCH,
    SearchEngine,
    SearchEngineError,
    connect,
    detect_engine,
)
from catalogue.search.backends.engine.connection import INDEX_NOT_FOUND, reason
from catalogue.search.backends.engine.indexes import VERSION_CONFLICT, bulk_items

logger = logging.getLogger(__name__)

# The image document's fields the access filter reads (catalogue/access.py).
VISIBILITY_FIELDS = (
    "kind",
    "set_id",
    "access",
    "state",
    "embargo_until",
    "owner_id",
    "curator_ids",
)
# HNSW graph degree and build breadth (Elasticsearch's defaults are 16 / 100).
GRAPH_DEGREE = 16
BUILD_BREADTH = 100
BULK_CHUNK = 200  # vectors per bulk request (about 2.5 MB of JSON at 1280 floats)
BULK_TIMEOUT = 120  # seconds
SCAN_SIZE = 5000
MAX_CANDIDATES = 10_000  # Elasticsearch refuses a larger num_candidates

_kinds: dict[str, str] = {}  # url -> engine kind, asked once per process
_kinds_lock = threading.Lock()


@dataclass(frozen=True)
class VectorDocument:
    document: dict  # the image's search document (id, revision, visibility fields)
    vector: list[float]


def engine_kind(url: str | None = None) -> str:
    """Which engine is at `url`: "elasticsearch" or "opensearch" (SEARCH_ENGINE,
    or the server, asked once)."""
    url = url or settings.SEARCH_URL
    if settings.SEARCH_ENGINE not in ("", "auto") and url == settings.SEARCH_URL:
        return settings.SEARCH_ENGINE
    with _kinds_lock:
        if url not in _kinds:
            _kinds[url] = detect_engine(url, timeout=settings.SEARCH_TIMEOUT)
        return _kinds[url]


def supported(url: str | None = None) -> bool:
    """Whether the configured engine has dense-vector kNN search (False when it
    cannot be reached to say)."""
    url = url or settings.SEARCH_URL
    if not url:
        return False
    try:
        return engine_kind(url) == ELASTICSEARCH
    except SearchEngineError:
        logger.warning("similarity: cannot ask the search engine at %s what it is", url)
        return False


class VectorIndex:
    """The vector indexes of one engine (default: SEARCH_URL, SEARCH_INDEX_PREFIX)."""

    def __init__(self, url: str | None = None, prefix: str | None = None):
        self.engine: SearchEngine = connect(url, engine_kind(url))
        if self.engine.kind != ELASTICSEARCH:
            raise SearchEngineError(
                f"{self.engine.kind} at {self.engine.url} has no dense-vector kNN search "
                "(OpenSearch needs its k-NN plugin)"
            )
        self.prefix = (prefix or settings.SEARCH_INDEX_PREFIX).lower()

    def name(self, version_id: int) -> str:
        return f"{self.prefix}-vectors-{version_id}"

    def exists(self, version_id: int) -> bool:
        return self.engine.index_exists(self.name(version_id))

    def ensure(self, version_id: int, dimensions: int) -> None:
        """Create the version's index if missing (a second creator's refusal is fine)."""
        if self.exists(version_id):
            return
        try:
            self.engine.create_index(
                self.name(version_id), settings=index_settings(), mappings=mappings(dimensions)
            )
        except SearchEngineError as error:
            if error.error_type != "resource_already_exists_exception":
                raise

    def drop(self, version_id: int) -> None:
        self.engine.delete_index(self.name(version_id))

    def write(self, version_id: int, items: Iterable[VectorDocument]) -> int:
        """Index these vectors (versioned by revision); returns how many were written."""
        written = 0
        chunk: list[VectorDocument] = []
        for item in items:
            chunk.append(item)
            if len(chunk) == BULK_CHUNK:
                written += self._bulk(version_id, chunk)
                chunk = []
        if chunk:
            written += self._bulk(version_id, chunk)
        return written

    def _bulk(self, version_id: int, items: list[VectorDocument]) -> int:
        operations: list[dict] = []
        for item in items:
            doc = item.document
            meta = {
                "_index": self.name(version_id),
                "_id": str(int(doc["id"])),
                "version": int(doc["revision"]),
                # An equal revision may rewrite: a new embedding of an unchanged image.
                "version_type": "external_gte",
            }
            source = {"id": int(doc["id"]), "vector": item.vector}
            source.update({name: doc.get(name) for name in VISIBILITY_FIELDS})
            operations += [{"index": meta}, source]
        with self.engine.errors():  # a graph to extend takes longer than a search
            response = dict(
                self.engine.client.options(request_timeout=BULK_TIMEOUT).bulk(body=operations)
            )
        refused = [
            reason(error)
            for _, error in bulk_items(response, len(items))
            if error is not None and error.get("type") != VERSION_CONFLICT
        ]
        if refused:
            raise SearchEngineError(
                f"search engine refused {len(refused)} vector(s): {refused[0]}", status=500
            )
        return len(items)

    def delete(self, version_id: int, ids: list[int]) -> None:
        for start in range(0, len(ids), BULK_CHUNK):
            chunk = ids[start : start + BULK_CHUNK]
            operations = [
                {"delete": {"_index": self.name(version_id), "_id": str(int(pk))}} for pk in chunk
            ]
            response = self.engine.bulk(operations)
            refused = [reason(e) for _, e in bulk_items(response, len(chunk)) if e is not None]
            if refused:
                raise SearchEngineError(f"search engine refused a deletion: {refused[0]}")

    def set_last_embedding(self, version_id: int, last: int) -> None:
        """Note the last embedding row the index covers (in its mapping's `_meta`):
        queries scan the rows written after it exactly."""
        with self.engine.errors():
            self.engine.client.indices.put_mapping(
                index=self.name(version_id), body={"_meta": {"last_embedding_id": last}}
            )

    def last_embedding(self, version_id: int) -> int:
        try:
            with self.engine.errors():
                found: dict = dict(
                    self.engine.client.indices.get_mapping(index=self.name(version_id))
                )
        except SearchEngineError as error:
            if error.error_type == INDEX_NOT_FOUND:
                return 0
            raise
        mapping: dict = next(iter(found.values()), {})
        meta = mapping.get("mappings", {}).get("_meta") or {}
        return int(meta.get("last_embedding_id", 0))

    def refresh(self, version_id: int) -> None:
        self.engine.refresh(self.name(version_id))

    def count(self, version_id: int) -> int:
        """Vectors in the version's index; 0 when it does not exist."""
        try:
            with self.engine.errors():
                found = self.engine.client.count(index=self.name(version_id))
        except SearchEngineError as error:
            if error.error_type == INDEX_NOT_FOUND:
                return 0
            raise
        return int(found["count"])

    def ids(self, version_id: int) -> Iterator[int]:
        """Every image id in the version's index, ascending."""
        after = None
        while True:
            body: dict = {"size": SCAN_SIZE, "_source": False, "sort": [{"id": "asc"}]}
            if after is not None:
                body["search_after"] = after
            try:
                hits = self.engine.search(self.name(version_id), body)["hits"]["hits"]
            except SearchEngineError as error:
                if error.error_type == INDEX_NOT_FOUND:
                    return
                raise
            for hit in hits:
                yield int(hit["_id"])
            if len(hits) < SCAN_SIZE:
                return
            after = hits[-1]["sort"]

    def nearest(
        self,
        version_id: int,
        vector: list[float],
        count: int,
        visibility: Visibility,
        *,
        candidates: int,
        exclude: int | None = None,
    ) -> list[int]:
        """Up to `count` image ids the viewer may see, nearest first (HNSW, with the
        access filter applied during the graph search, so `count` visible ones come
        back whenever that many exist)."""
        if count < 1:
            return []
        clauses: dict = {"filter": [], "must_not": []}
        allowed = access.engine_filter(visibility)
        if allowed is not None:
            clauses["filter"].append(allowed.to_dict())
        if exclude is not None:
            clauses["must_not"].append({"term": {"id": exclude}})
        body = {
            "knn": {
                "field": "vector",
                "query_vector": vector,
                "k": count,
                "num_candidates": min(max(candidates, count), MAX_CANDIDATES),
                "filter": {"bool": clauses},
            },
            "size": count,
            "_source": False,
        }
        try:
            response = self.engine.search(self.name(version_id), body)
        except SearchEngineError as error:
            if error.error_type == INDEX_NOT_FOUND:
                return []
            raise
        return [int(hit["_id"]) for hit in response["hits"]["hits"]]


def index_settings() -> dict:
    return {"number_of_shards": 1, "number_of_replicas": 0}


def mappings(dimensions: int) -> dict:
    return {
        "dynamic": False,
        "properties": {
            "id": {"type": "long"},
            "kind": {"type": "keyword"},
            "set_id": {"type": "long"},
            "access": {"type": "keyword"},
            "state": {"type": "keyword"},
            "embargo_until": {"type": "date"},
            "owner_id": {"type": "long"},
            "curator_ids": {"type": "long"},
            "vector": {
                "type": "dense_vector",
                "dims": dimensions,
                "index": True,
                "similarity": "cosine",
                # int8 in the graph (a quarter of float32's memory): it only proposes
                # candidates, which are ranked again by their stored float32 vectors.
                "index_options": {
                    "type": "int8_hnsw",
                    "m": GRAPH_DEGREE,
                    "ef_construction": BUILD_BREADTH,
                },
            },
        },
    }
