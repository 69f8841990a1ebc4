""" "More like this" through the search engine's own kNN (catalogue/search/vectors.py):
which index answers, keeping the engine's vectors up to date (workers), and
asking it (web processes). numpy only: no torch, no faiss.

The engine filters by visibility as every search does; the candidates it gives
are checked against the database once more (a set restricted a moment ago,
before its documents were rewritten, is never shown) and ranked by their stored
float32 vectors, with the embeddings written since the last update."""

from __future__ import annotations

import heapq
import logging
import threading
import time

import numpy as np
from django.conf import settings
from django.db.models import Max, QuerySet

from catalogue.access import visibility_of
from catalogue.search import vectors as engine_vectors
from catalogue.search.backends.engine.client import SearchEngineError
from catalogue.search.documents import image_documents
from catalogue.search.vectors import VectorDocument, VectorIndex
from inference import vectors
from inference.ann.query import OVERFETCH
from inference.ann.ranking import top_scored
from inference.models import ImageEmbedding, ModelVersion, Task

logger = logging.getLogger(__name__)

_state: dict[int, tuple[float, int, int]] = {}  # version -> (checked, count, last embedding)
_state_lock = threading.Lock()

ENGINE, INDEX, EXACT = "engine", "index", "exact"
BACKENDS = (ENGINE, INDEX, EXACT)
# Candidates the engine's graph search visits per segment (num_candidates): its
# breadth; at least the over-fetched count (bench/similarity.py --backend engine).
CANDIDATES = 256
CHUNK = 2000

Ranked = list[tuple[float, int]]  # (cosine, -image id), best first


def backend() -> str:
    """The configured index: SIMILARITY_BACKEND, "auto" resolved against the engine."""
    chosen = settings.SIMILARITY_BACKEND or "auto"
    if chosen == "auto":
        return ENGINE if engine_vectors.supported() else INDEX
    if chosen not in BACKENDS:
        raise ValueError(f"SIMILARITY_BACKEND must be auto, {', '.join(BACKENDS)}: {chosen!r}")
    return chosen


_indexes: dict[tuple[str, str], VectorIndex] = {}


def vector_index() -> VectorIndex:
    """The engine's vector indexes, one client per process (its connections are reused)."""
    key = (settings.SEARCH_URL, settings.SEARCH_INDEX_PREFIX)
    with _state_lock:
        if key not in _indexes:
            _indexes[key] = VectorIndex()
        return _indexes[key]


# --- workers: keeping the engine's vectors up to date ---------------------------------


def update(version_id: int, *, rebuild: bool = False) -> dict:
    """Bring the version's engine index in line with its embedding rows (by image
    id: idempotent, repairs drift; an image embedded again since the last update
    gets its new vector); `rebuild` starts from an empty index."""
    rows = ImageEmbedding.objects.filter(model_version_id=version_id)
    last = rows.aggregate(last=Max("pk"))["last"] or 0
    dimensions = rows.values_list("dimensions", flat=True).first()
    index = vector_index()
    if rebuild or dimensions is None:
        index.drop(version_id)
    if dimensions is None:
        return {"version": version_id, "count": 0, "backend": ENGINE}
    index.ensure(version_id, dimensions)
    since = index.last_embedding(version_id)
    wanted = np.fromiter(rows.values_list("image_id", flat=True).iterator(), dtype=np.int64)
    present = np.fromiter(index.ids(version_id), dtype=np.int64)
    gone = np.setdiff1d(present, wanted)
    missing = np.setdiff1d(wanted, present)
    newer = rows.filter(pk__gt=since).values_list("image_id", flat=True)
    embedded_again = np.intersect1d(np.fromiter(newer.iterator(), dtype=np.int64), present)
    index.delete(version_id, gone.tolist())
    written = 0
    for ids in (missing, embedded_again):
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK].tolist()
            written += index.write(
                version_id, vector_documents(rows.filter(dimensions=dimensions), chunk)
            )
    index.set_last_embedding(version_id, last)
    index.refresh(version_id)
    return {
        "version": version_id,
        "count": index.count(version_id),
        "added": written - len(embedded_again),
        "replaced": len(embedded_again),
        "removed": len(gone),
        "backend": ENGINE,
    }


def vector_documents(rows: QuerySet[ImageEmbedding], image_ids: list[int]) -> list[VectorDocument]:
    """The images' search documents with their vectors (images out of search have
    no document, so no vector in the engine either)."""
    found = dict(rows.filter(image_id__in=image_ids).values_list("image_id", "vector"))
    return [
        VectorDocument(document=doc, vector=vectors.to_array(found[doc["id"]]).tolist())
        for doc in image_documents(list(found))
    ]


def follow_image_documents(sender, documents: list[dict], gone: list[int], **kwargs) -> None:
    """Receiver of catalogue.signals.image_documents_written: the vectors take the
    visibility of the image documents just written (a set restricted, opened,
    given a curator), and leave with them."""
    if not (documents or gone) or backend() != ENGINE:
        return
    index = vector_index()
    for version_id in embedder_versions():
        if not index.exists(version_id):
            continue
        rows = ImageEmbedding.objects.filter(model_version_id=version_id)
        found = dict(
            rows.filter(image_id__in=[doc["id"] for doc in documents]).values_list(
                "image_id", "vector"
            )
        )
        index.write(
            version_id,
            [
                VectorDocument(document=doc, vector=vectors.to_array(found[doc["id"]]).tolist())
                for doc in documents
                if doc["id"] in found
            ],
        )
        index.delete(version_id, list(gone))


def embedder_versions() -> list[int]:
    return list(
        ModelVersion.objects.filter(model__task=Task.EMBEDDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- web processes: asking the engine -------------------------------------------------


def index_state(index: VectorIndex, version_id: int) -> tuple[int, int]:
    """(vectors in the engine, last embedding id they cover), read at most every
    SIMILARITY_INDEX_CHECK_SECONDS."""
    now = time.monotonic()
    with _state_lock:
        held = _state.get(version_id)
    if held is not None and now - held[0] < settings.SIMILARITY_INDEX_CHECK_SECONDS:
        return held[1], held[2]
    count, last = index.count(version_id), index.last_embedding(version_id)
    with _state_lock:
        _state[version_id] = (now, count, last)
    return count, last


def forget() -> None:
    """Drop what this process knows of the engine's indexes (tests)."""
    with _state_lock:
        _state.clear()
        _indexes.clear()


def ranked_by_engine(
    user,
    version: ModelVersion,
    query: np.ndarray,
    limit: int,
    visible: QuerySet,
    rows: QuerySet[ImageEmbedding],
    exclude: int | None,
    chunk: int,
) -> Ranked | None:
    """(score, -id) pairs, best first, from the engine's kNN (over-fetched, ranked
    again by the stored vectors) and the rows it does not hold yet; None when the
    catalogue is too small for it, or when the database hides so many candidates
    the engine still shows that too few are left (the exact scan answers)."""
    try:
        index = vector_index()
        count, last = index_state(index, version.pk)
        if count == 0 or count < settings.SIMILARITY_INDEX_MIN_EMBEDDINGS:
            return None
        ids = index.nearest(
            version.pk,
            np.asarray(query, dtype=np.float32).tolist(),
            limit * OVERFETCH,  # room for ranking again by the float32 vectors
            visibility_of(user),
            candidates=CANDIDATES,
            exclude=exclude,
        )
    except SearchEngineError:  # the engine is down: never fail the query
        logger.exception("similarity: the search engine's kNN failed; scanning")
        return None
    allowed = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
    kept = [pk for pk in ids if pk in allowed]
    if len(kept) < min(limit, len(ids)):  # the engine is behind a change of access
        return None
    found = top_scored(rows.filter(image_id__in=kept), query, limit, chunk)
    newer = rows.filter(pk__gt=last, image_id__in=visible.values("pk"))
    merged = {-negative: score for score, negative in found}
    for score, negative in top_scored(newer, query, limit, chunk):
        merged[-negative] = score
    return heapq.nlargest(limit, ((score, -pk) for pk, score in merged.items()))
