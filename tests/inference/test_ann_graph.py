"""The inverted file itself (inference/ann/graph.py), on clustered vectors with
many lists: its candidates, ranked again in float32, give the exact top 10; a
replaced vector is found where it now lies; removed ids are gone; a memory-mapped
copy answers as the index written; an index outgrown asks to be trained again.
No services: numpy and faiss only."""

from __future__ import annotations

import numpy as np

from inference.ann import graph

DIMENSIONS = 64
CLUSTERS = 40
PER_CLUSTER = 100


def clustered(count: int, seed: int, centres: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = centres[rng.integers(0, len(centres), count)]
    rows = rows + rng.standard_normal((count, DIMENSIONS)) * (1.2 / np.sqrt(DIMENSIONS))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def built():
    centres = np.random.default_rng(1).standard_normal((CLUSTERS, DIMENSIONS))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    matrix = clustered(CLUSTERS * PER_CLUSTER, 2, centres)
    ids = np.arange(1, len(matrix) + 1)
    sample = np.random.default_rng(3).choice(len(matrix), graph.training_size(len(matrix)), False)
    index = graph.new_graph(DIMENSIONS, matrix[sample], len(matrix))
    graph.add(index, ids, matrix)
    return index, matrix, clustered(30, 4, centres)


def ranked(index, matrix: np.ndarray, query: np.ndarray) -> list[int]:
    """The top 10 of 40 candidates, by their float32 vectors (as ranking.py does)."""
    found = np.asarray(graph.search(index, query, 40))
    return found[np.argsort(-(matrix[found - 1] @ query), kind="stable")][:10].tolist()


def exact(matrix: np.ndarray, query: np.ndarray) -> list[int]:
    return (np.argsort(-(matrix @ query), kind="stable")[:10] + 1).tolist()


def test_candidates_ranked_again_give_the_exact_top_ten(monkeypatch):
    monkeypatch.setattr(graph, "MIN_READ", 0)  # 16 of the 100 lists, not all of them
    index, matrix, queries = built()
    assert index.nlist == graph.list_count(len(matrix)) == 100
    assert graph.size(index) == len(matrix)
    for query in queries:
        assert ranked(index, matrix, query) == exact(matrix, query)


def test_replaced_and_removed_vectors(tmp_path):
    index, matrix, queries = built()
    moved = queries[0]
    graph.add(index, [7], moved[None, :])  # image 7 embedded again, near the first query
    assert graph.size(index) == len(matrix)  # replaced, not doubled
    assert graph.search(index, moved, 1) == [7]
    assert graph.remove(index, [7, 8, 10**9]) == 2
    assert set(graph.keys(index).tolist()) == set(range(1, len(matrix) + 1)) - {7, 8}
    assert 7 not in graph.search(index, moved, 50)

    path = tmp_path / f"index{graph.SUFFIX}"
    graph.save(index, path)
    mapped = graph.load(path, view=True)
    assert graph.size(mapped) == graph.size(index) and graph.dimensions(mapped) == DIMENSIONS
    for query in queries:
        assert graph.search(mapped, query, 20) == graph.search(index, query, 20)


def test_an_outgrown_index_asks_to_be_trained_again():
    index, matrix, _ = built()
    assert not graph.needs_training(index, len(matrix))
    assert not graph.needs_training(index, len(matrix) * 3 // 2)
    assert graph.needs_training(index, 4 * len(matrix))
    untrained = graph.new_graph(DIMENSIONS, matrix[:0], 0)
    assert graph.needs_training(untrained, 0) and graph.keys(untrained).size == 0
    assert graph.search(untrained, matrix[0], 5) == []
