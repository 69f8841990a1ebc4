"""The HNSW graph itself: how it is made, filled and searched (usearch, numpy).

Vectors are stored as float16 by default: half of float32's memory in every
process that maps the index. int8 (SIMILARITY_INDEX_DTYPE=i8) halves it again,
but a 1280-d unit vector's components (about 0.03) keep only a few levels in
int8, and recall@10 drops (bench/similarity.py). The candidates the graph
proposes are ranked again with the stored float32 vectors, so quantisation
changes which candidates are found, never a score."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from inference.ann.library import index_class

if TYPE_CHECKING:
    from usearch.index import Index

# Graph degree and build/search breadth (usearch's defaults are 16 / 128 / 64),
# from bench/similarity.py --sweep: at 1 M clustered vectors a breadth of 256 found
# 0.91 of the exact top 10, 512 found 0.948 in 7 ms (p95); 1,024 found 0.944 in a
# second build (30 ms p95 on two busy cores): past 512 the graph, not the breadth,
# bounds recall (a higher degree or build breadth is what is left to try).
CONNECTIVITY = 16
EXPANSION_ADD = 96
EXPANSION_SEARCH = 1024


def quantisation() -> str:
    return settings.SIMILARITY_INDEX_DTYPE


def new_graph(dimensions: int, *, dtype: str | None = None) -> Index:
    return index_class()(
        ndim=dimensions,
        metric="cos",
        dtype=dtype or quantisation(),
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def add(graph: Index, ids: Sequence[int] | np.ndarray, matrix: np.ndarray) -> None:
    """Add (or replace) the vectors of these image ids."""
    if len(ids) == 0:
        return
    keys = np.asarray(ids, dtype=np.uint64)
    present = keys[graph.contains(keys)] if len(graph) else keys[:0]
    if len(present):  # a re-embedded image: its old vector goes first
        graph.remove(present)
    graph.add(keys, np.ascontiguousarray(matrix, dtype=np.float32))


def remove(graph: Index, ids: Sequence[int] | np.ndarray) -> int:
    keys = np.asarray(ids, dtype=np.uint64)
    if len(keys) == 0 or len(graph) == 0:
        return 0
    return int(graph.remove(keys[graph.contains(keys)]))


def keys(graph: Index) -> np.ndarray:
    """The image ids in the graph (removed ones excluded)."""
    return np.fromiter(graph.keys, dtype=np.int64, count=len(graph))


def search(graph: Index, query: np.ndarray, count: int) -> list[int]:
    """Up to `count` image ids, nearest first."""
    if len(graph) == 0 or count < 1:
        return []
    breadth = max(EXPANSION_SEARCH, count)
    if graph.expansion_search != breadth:
        graph.expansion_search = breadth  # type: ignore[misc]  # settable; typed read-only
    found = graph.search(np.asarray(query, dtype=np.float32), min(count, len(graph)))
    return [int(key) for key in found.keys]
