"""The search engine's kNN for bench/similarity.py (`--backend engine`): the
vectors indexed as the workers index them (catalogue/search/vectors.py) under a
scratch prefix, the hidden tenth as documents of a restricted set, every query
asked as inference/ann/engine.py asks it. The index is dropped after."""

from __future__ import annotations

import datetime
import os
import statistics
import time
import uuid

import numpy as np
from similarity import DIMENSIONS, HIDDEN_FRACTION, LIMIT, percentile

ENGINE_VERSION = 0  # the scratch index's embedder version


def ask_engine(vector_index, matrix, queries, truth, candidates: int) -> dict:
    """Every query the way inference/ann/engine.py asks the engine's kNN."""
    from catalogue.access import Visibility
    from inference.ann import query as ann_query

    anyone = Visibility(everything=False, user_id=None, today=datetime.date.today())
    fetch = LIMIT * ann_query.OVERFETCH
    times, recalls = [], []
    for vector, expected in zip(queries, truth, strict=True):
        started = time.perf_counter()
        ids = vector_index.nearest(
            ENGINE_VERSION, vector.tolist(), fetch, anyone, candidates=candidates
        )
        rows = np.asarray(ids, dtype=np.int64) - 1
        scores = matrix[rows] @ vector
        top = rows[np.argsort(-scores, kind="stable")[:LIMIT]]
        times.append((time.perf_counter() - started) * 1000)
        recalls.append(len(expected & set(top.tolist())) / LIMIT)
    return {
        "num_candidates": candidates,
        "k": fetch,
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "recall_at_10": round(statistics.fmean(recalls), 4),
        "min_recall_at_10": min(recalls),
    }


def fill_engine(vector_index, matrix: np.ndarray, visible: np.ndarray) -> None:
    """The vectors as the workers write them: image documents' visibility fields
    (the hidden ones in a restricted set) and the vector, by revision."""
    from catalogue.search.vectors import VectorDocument

    def items():
        for row, vector in enumerate(matrix):
            document = {
                "id": row + 1,
                "revision": 1,
                "kind": "image",
                "set_id": 1 if visible[row] else 2,
                "access": "open" if visible[row] else "restricted",
                "state": "published",
                "embargo_until": None,
                "owner_id": None,
                "curator_ids": [],
            }
            yield VectorDocument(document=document, vector=vector.tolist())

    vector_index.ensure(ENGINE_VERSION, DIMENSIONS)
    vector_index.write(ENGINE_VERSION, items())
    vector_index.refresh(ENGINE_VERSION)


def run_engine(args, matrix, queries, truth, visible, exact_ms: dict) -> dict:
    from catalogue.search import vectors
    from catalogue.search.vectors import VectorIndex
    from inference.ann import engine

    url = os.environ.get("SEARCH_URL_ELASTICSEARCH") or os.environ.get("SEARCH_URL", "")
    vector_index = VectorIndex(url, prefix=f"aquacat-bench-{uuid.uuid4().hex[:8]}")
    try:
        started = time.perf_counter()
        fill_engine(vector_index, matrix, visible)
        built = time.perf_counter() - started
        merged = None
        if args.merge:
            started = time.perf_counter()
            vector_index.engine.client.indices.forcemerge(
                index=vector_index.name(ENGINE_VERSION), max_num_segments=1, request_timeout=3600
            )
            merged = round(time.perf_counter() - started, 1)
        segments = vector_index.engine.client.indices.segments(
            index=vector_index.name(ENGINE_VERSION)
        )
        shards = segments["indices"][vector_index.name(ENGINE_VERSION)]["shards"]
        nodes = vector_index.engine.client.nodes.info(node_id="_local")["nodes"]
        breadths = [engine.CANDIDATES] + ([64, 512, 1024] if args.sweep else [])
        runs = [ask_engine(vector_index, matrix, queries, truth, c) for c in breadths]
        first = runs[0]
        return {
            "embeddings": len(matrix),
            "dimensions": DIMENSIONS,
            "queries": len(queries),
            "hidden_fraction": HIDDEN_FRACTION,
            "index": {
                "engine": vector_index.engine.kind,
                "version": next(iter(nodes.values()))["version"],
                "type": "int8_hnsw",
                "m": vectors.GRAPH_DEGREE,
                "ef_construction": vectors.BUILD_BREADTH,
                "build_s": round(built, 1),
                "adds_per_s": round(len(matrix) / built),
                "force_merge_s": merged,
                "segments": sum(len(copy[0]["segments"]) for copy in shards.values()),
            },
            "search": {"num_candidates": first["num_candidates"], "k": first["k"]},
            "engine_ms": {"p50": first["p50_ms"], "p95": first["p95_ms"]},
            "exact_scan_ms": exact_ms,
            "recall_at_10": first["recall_at_10"],
            "min_recall_at_10": first["min_recall_at_10"],
            "sweep": runs[1:],
            "goals": {"p95_ms": 50, "recall_at_10": 0.95},
        }
    finally:
        vector_index.drop(ENGINE_VERSION)
