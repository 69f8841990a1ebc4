"""Ranking "more like this" candidates: exact cosine scores from the stored
vectors, whether the candidates come from the approximate index or from every
visible embedding (the exact scan). numpy only: web processes run this."""

from __future__ import annotations

import heapq
import logging

import numpy as np
from django.conf import settings
from django.db.models import QuerySet

from inference import vectors
from inference.ann import store
from inference.ann.query import visible_candidates
from inference.models import ImageEmbedding, ModelVersion

logger = logging.getLogger(__name__)

Ranked = list[tuple[float, int]]  # (cosine, -image id), best first


def ranked_by_index(
    version: ModelVersion,
    query: np.ndarray,
    limit: int,
    visible: QuerySet,
    rows: QuerySet[ImageEmbedding],
    exclude: int | None,
    chunk: int,
) -> Ranked | None:
    """(score, -id) pairs, best first, from the index's candidates and the rows it
    does not hold yet; None when the index is not to be used or falls short."""
    loaded = usable_index(version.pk)
    if loaded is None:
        return None

    def keep(ids: list[int]) -> list[int]:
        allowed = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
        return [i for i in ids if i in allowed and i != exclude]

    candidates = visible_candidates(loaded.index, query, limit, keep)
    if candidates is None:
        return None
    found = top_scored(rows.filter(image_id__in=candidates), query, limit, chunk)
    newer = rows.filter(pk__gt=loaded.manifest.last_embedding_id, image_id__in=visible.values("pk"))
    merged = {-negative: score for score, negative in found}
    for score, negative in top_scored(newer, query, limit, chunk):
        merged[-negative] = score
    return heapq.nlargest(limit, ((score, -pk) for pk, score in merged.items()))


def usable_index(version_id: int) -> store.Loaded | None:
    """The published index, when the catalogue is large enough to need it. A
    failure to read it never fails the query: the exact scan answers."""
    try:
        loaded = store.current(version_id)
    except Exception:
        logger.exception("similarity index of version %s unreadable; scanning", version_id)
        return None
    threshold = settings.SIMILARITY_INDEX_MIN_EMBEDDINGS
    if loaded is None or loaded.manifest.count < threshold:
        return None
    return loaded


def top_scored(rows: QuerySet[ImageEmbedding], query: np.ndarray, limit: int, chunk: int) -> Ranked:
    """The `limit` best (cosine, -image id) of the rows, best first (ties: the
    older image first), reading vectors in chunks so memory stays bounded."""
    best: list[tuple[float, int]] = []  # a min-heap, size <= limit
    pairs = rows.values_list("image_id", "vector")
    for batch in batched(pairs.iterator(chunk_size=chunk), chunk):
        scores = vectors.to_matrix([row[1] for row in batch]) @ query
        top = (
            np.argpartition(-scores, limit - 1)[:limit] if len(batch) > limit else range(len(batch))
        )
        for i in top:
            item = (float(scores[i]), -int(batch[i][0]))
            if len(best) < limit:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
    return sorted(best, reverse=True)


def batched(iterable, size: int):
    rows = []
    for row in iterable:
        rows.append(row)
        if len(rows) == size:
            yield rows
            rows = []
    if rows:
        yield rows
