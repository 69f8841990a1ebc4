"""Candidates from the index that the caller may see: over-fetch, filter, and
fetch more when too many were hidden, up to a bound past which the caller falls
back to the exact scan (a user who sees a small corner of a large catalogue)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from inference.ann import graph

if TYPE_CHECKING:
    from faiss import IndexIVF as Index

OVERFETCH = 4  # candidates asked per result wanted: room for hidden ones and reranking
MIN_FETCH = 128
MAX_FETCH = 8192


def visible_candidates(
    index: Index, query: np.ndarray, limit: int, keep: Callable[[list[int]], Sequence[int]]
) -> list[int] | None:
    """At least `limit` ids that `keep` lets through, from the index's nearest, or
    all of them when the index holds fewer; None when MAX_FETCH candidates did not
    give `limit` (the caller then scans exactly)."""
    fetch = max(limit * OVERFETCH, MIN_FETCH)
    while True:
        found = graph.search(index, query, fetch)
        kept = list(keep(found))
        if len(kept) >= limit or len(found) >= graph.size(index):
            return kept
        if fetch >= MAX_FETCH:
            return None
        fetch = min(fetch * 4, MAX_FETCH)
