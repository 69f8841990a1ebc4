"""The index itself: an inverted file (faiss IVF) of the embeddings, how it is
trained, filled, searched and written.

Image features are clustered (images of one kind lie close together), which an
inverted file uses directly: k-means centroids split the vectors into lists and
a query reads only the vectors of the PROBES lists nearest to it. An HNSW graph
(usearch, connectivity 16) found 0.944 of the exact top 10 at 1 M clustered
vectors however wide its search, because inside a cluster every vector is about
as far from every other and the graph's greedy walk stops early; the inverted
file reads whole clusters and finds them all (bench/similarity.py).

Vectors are stored as float16 by default (SIMILARITY_INDEX_DTYPE: f16, i8 or
f32): half of float32's memory. The candidates are ranked again with the stored
float32 vectors, so quantisation changes which candidates are found, never a
score. Vectors are unit length (the embedder's), so inner product is cosine."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from inference.ann.library import faiss_module

if TYPE_CHECKING:
    from faiss import IndexIVF as Index

LISTS_PER_ROOT = 4  # lists: 4·√n, the low end of faiss's guideline (4-16·√n)
TRAINING_PER_LIST = 40  # k-means wants about 40 vectors per centroid (faiss warns under 39)
PROBES = 16  # lists read per query: 8 found every exact top 10 at 200 k, 16 leaves room
# Vectors read per query at least: lists hold about √n/4 vectors, so in a smaller
# catalogue 16 lists cover less of a cluster (20 k: recall@10 0.999 with 16 lists).
MIN_READ = 4000
RETRAIN_GROWTH = 2  # retrain once the size asks for twice the lists trained (4x the vectors)
SUFFIX = ".faiss"


def quantisation() -> str:
    return settings.SIMILARITY_INDEX_DTYPE


def list_count(vectors: int) -> int:
    """Lists for this many vectors: 4·√n, with enough vectors to train each centroid."""
    return max(1, min(int(LISTS_PER_ROOT * math.sqrt(vectors)), vectors // TRAINING_PER_LIST))


def training_size(vectors: int) -> int:
    """How many of the vectors train the centroids (a sample past this)."""
    return min(vectors, list_count(vectors) * TRAINING_PER_LIST)


def new_graph(
    dimensions: int, training: np.ndarray, vectors: int, *, dtype: str | None = None
) -> Index:
    """An empty index for about `vectors` vectors, its centroids trained on
    `training` (a sample of them, training_size(vectors) long)."""
    faiss = faiss_module()
    lists = max(1, min(list_count(vectors), len(training) // TRAINING_PER_LIST))
    quantiser = faiss.IndexFlatIP(dimensions)
    chosen = dtype or quantisation()
    if chosen == "f32":
        index = faiss.IndexIVFFlat(quantiser, dimensions, lists, faiss.METRIC_INNER_PRODUCT)
    else:
        kind = {"f16": faiss.ScalarQuantizer.QT_fp16, "i8": faiss.ScalarQuantizer.QT_8bit}[chosen]
        index = faiss.IndexIVFScalarQuantizer(
            quantiser, dimensions, lists, kind, faiss.METRIC_INNER_PRODUCT
        )
    if len(training):
        index.train(unit_rows(training))
    return index


def needs_training(index: Index, vectors: int) -> bool:
    """Whether the index has no centroids yet, or too few lists for this many
    vectors (trained when the catalogue was much smaller: lists grow long and
    queries slow)."""
    return not index.is_trained or list_count(vectors) >= RETRAIN_GROWTH * index.nlist


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    rows = np.array(matrix, dtype=np.float32, ndmin=2, order="C")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1)


def size(index: Index) -> int:
    return int(index.ntotal)


def dimensions(index: Index) -> int:
    return int(index.d)


def add(index: Index, ids: Sequence[int] | np.ndarray, matrix: np.ndarray) -> None:
    """Add (or replace) the vectors of these image ids."""
    if len(ids) == 0:
        return
    new = np.asarray(ids, dtype=np.int64)
    remove(index, np.intersect1d(new, keys(index)))  # a re-embedded image: its old vector goes
    index.add_with_ids(unit_rows(matrix), new)


def remove(index: Index, ids: Sequence[int] | np.ndarray) -> int:
    gone = np.ascontiguousarray(ids, dtype=np.int64)
    if len(gone) == 0 or index.ntotal == 0:
        return 0
    selector = faiss_module().IDSelectorBatch(len(gone), faiss_module().swig_ptr(gone))
    return int(index.remove_ids(selector))


def keys(index: Index) -> np.ndarray:
    """The image ids in the index, list by list."""
    faiss = faiss_module()
    lists = index.invlists
    if lists is None:  # an index always has its lists; the stubs allow none
        return np.empty(0, dtype=np.int64)
    parts = [
        faiss.rev_swig_ptr(lists.get_ids(number), lists.list_size(number)).copy()
        for number in range(index.nlist)
        if lists.list_size(number)
    ]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def search(index: Index, query: np.ndarray, count: int) -> list[int]:
    """Up to `count` image ids, nearest first, from the PROBES nearest lists (more
    when they would hold fewer than MIN_READ or twice `count` vectors on average)."""
    if index.ntotal == 0 or count < 1:
        return []
    wanted = math.ceil(max(MIN_READ, 2 * count) * index.nlist / index.ntotal)
    index.nprobe = min(max(PROBES, wanted), index.nlist)
    _, found = index.search(unit_rows(query), min(count, int(index.ntotal)))
    return [int(key) for key in found[0] if key >= 0]


def save(index: Index, path: Path) -> None:
    faiss_module().write_index(index, str(path))


def load(path: Path, *, view: bool) -> Index:
    """The index in the file: memory-mapped and read-only (`view`, processes on
    one machine share its pages) or an in-memory copy a worker can change."""
    faiss = faiss_module()
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if view else 0
    return faiss.read_index(str(path), flags)  # of the class written (an IndexIVF)
