""" "More like this" at scale: the approximate index against the exact scan, in the same run.

    .venv/bin/python bench/similarity.py --small        # 20 k embeddings
    .venv/bin/python bench/similarity.py                # 1 M embeddings (about 7 GiB of memory)

Makes seeded synthetic 1280-float embeddings, L2-normalised like the embedder's,
clustered as real image features are (images of one kind lie close together:
one centre per 500 images, each vector its centre plus noise), builds the faiss
inverted-file index the workers build (inference/ann/graph.py, same parameters and
quantisation; trained and filled on --threads threads, 1 by default), and asks
held-out queries the way inference/selectors.py does: over-fetch candidates from
the index, drop the hidden ones (a random tenth of the
images is hidden), rank the rest again by their float32 vectors. Reports p50/p95
latency and recall@10 against the exact scan, whose own latency is measured
beside it: a matrix product over every visible vector held in memory, a lower
bound for today's scan that also reads them from the database. Prints one JSON
object.

    .venv/bin/python bench/similarity.py --backend engine --count 100000

asks the search engine's own kNN instead (Elasticsearch at SEARCH_URL_ELASTICSEARCH
or SEARCH_URL): the vectors are indexed as the workers index them
(catalogue/search/vectors.py, int8 HNSW) under a scratch prefix, the hidden tenth
as documents of a restricted set, and every query goes the way
inference/ann/engine.py sends it: filtered by the search's access filter,
over-fetched, ranked again by the float32 vectors. The index is dropped after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")

DIMENSIONS = 1280
PER_CLUSTER = 500
NOISE = 1.2  # within-cluster cosine about 0.4, across clusters about 0: features' spread
HIDDEN_FRACTION = 0.1
LIMIT = 10


def embeddings(count: int, seed: int, centres: np.ndarray, chunk: int = 50_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((count, DIMENSIONS), dtype=np.float32)
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        picked = centres[rng.integers(0, len(centres), n)]
        noise = rng.standard_normal((n, DIMENSIONS), dtype=np.float32)
        block = picked + noise * (NOISE / np.sqrt(DIMENSIONS, dtype=np.float32))
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + n] = block
    return out


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def exact_top(matrix: np.ndarray, visible: np.ndarray, query: np.ndarray, limit: int) -> np.ndarray:
    scores = matrix @ query
    scores[~visible] = -np.inf
    top = np.argpartition(-scores, limit)[:limit]
    return top[np.argsort(-scores[top], kind="stable")]


def ask(index, matrix, queries, truth, visible, probes: int, min_fetch: int) -> dict:
    """Every query the way inference/selectors.py asks: candidates from the graph,
    the hidden dropped, the rest ranked again by their float32 vectors."""
    from inference.ann import graph
    from inference.ann import query as ann_query

    graph.PROBES, ann_query.MIN_FETCH = probes, min_fetch
    times, recalls, fallbacks = [], [], 0
    for vector, expected in zip(queries, truth, strict=True):
        started = time.perf_counter()
        shown = ann_query.visible_candidates(
            index, vector, LIMIT, lambda ids: [i for i in ids if visible[i - 1]]
        )
        if shown is None:  # too few visible candidates: the exact scan answers
            fallbacks += 1
            top = exact_top(matrix, visible, vector, LIMIT)
        else:
            rows = np.asarray(shown, dtype=np.int64) - 1
            scores = matrix[rows] @ vector
            top = rows[np.argsort(-scores, kind="stable")[:LIMIT]]
        times.append((time.perf_counter() - started) * 1000)
        recalls.append(len(expected & set(top.tolist())) / LIMIT)
    return {
        "probes": probes,
        "min_fetch": min_fetch,
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "recall_at_10": round(statistics.fmean(recalls), 4),
        "min_recall_at_10": min(recalls),
        "exact_fallbacks": fallbacks,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="20 k embeddings instead of 1 M")
    parser.add_argument("--count", type=int, help="embeddings in the catalogue")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=40, help="timed exact scans")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--threads", type=int, default=1, help="threads training and filling the index"
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="also report other search breadths and candidate counts on the same graph",
    )
    parser.add_argument(
        "--backend",
        choices=["index", "engine"],
        default="index",
        help="the index asked: ours (the workers' inverted file) or the search engine's kNN",
    )
    parser.add_argument("--merge", action="store_true", help="engine: force-merge to one segment")
    args = parser.parse_args()
    count = args.count or (20_000 if args.small else 1_000_000)

    import django

    django.setup()
    from inference.ann import graph
    from inference.ann import query as ann_query
    from inference.ann.library import faiss_module

    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((max(1, count // PER_CLUSTER), DIMENSIONS), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    started = time.perf_counter()
    matrix = embeddings(count, args.seed + 1, centres)
    queries = embeddings(args.queries, args.seed + 2, centres)
    visible = rng.random(count) >= HIDDEN_FRACTION
    made = time.perf_counter() - started

    truth = []  # ground truth, untimed: every query at once
    all_scores = matrix @ queries.T
    all_scores[~visible] = -np.inf
    for column in all_scores.T:
        truth.append(set(np.argpartition(-column, LIMIT)[:LIMIT].tolist()))
    del all_scores

    exact_times = []
    for vector in queries[: args.exact_queries]:
        started = time.perf_counter()
        exact_top(matrix, visible, vector, LIMIT)
        exact_times.append((time.perf_counter() - started) * 1000)

    exact_ms = {
        "p50": round(percentile(exact_times, 50), 2),
        "p95": round(percentile(exact_times, 95), 2),
    }
    if args.backend == "engine":
        from similarity_engine import run_engine

        print(
            json.dumps(
                {
                    **run_engine(args, matrix, queries, truth, visible, exact_ms),
                    "data_s": round(made, 1),
                    "threads": os.cpu_count(),
                }
            )
        )
        return

    faiss_module().omp_set_num_threads(args.threads)
    started = time.perf_counter()
    sample = np.random.default_rng(args.seed + 3).choice(
        count, graph.training_size(count), replace=False
    )
    index = graph.new_graph(DIMENSIONS, matrix[np.sort(sample)], count)
    trained = time.perf_counter() - started
    chunk = 50_000
    for start in range(0, count, chunk):
        ids = np.arange(start + 1, min(count, start + chunk) + 1)  # image ids start at 1
        graph.add(index, ids, matrix[start : start + chunk])
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:  # the size of the file workers publish
        path = Path(scratch) / f"index{graph.SUFFIX}"
        graph.save(index, path)
        file_mib = path.stat().st_size / 2**20

    settings = [(graph.PROBES, ann_query.MIN_FETCH)]
    if args.sweep:
        settings += [(p, f) for p in (4, 8, 32) for f in (64, 128) if (p, f) != settings[0]]
    runs = [ask(index, matrix, queries, truth, visible, p, f) for p, f in settings]
    ann = runs[0]

    print(
        json.dumps(
            {
                "embeddings": count,
                "dimensions": DIMENSIONS,
                "queries": len(queries),
                "hidden_fraction": HIDDEN_FRACTION,
                "index": {
                    "library": "faiss",
                    "kind": "IVF",
                    "dtype": graph.quantisation(),
                    "lists": index.nlist,
                    "trained_on": len(sample),
                    "overfetch": ann_query.OVERFETCH,
                    "threads": args.threads,
                    "train_s": round(trained, 1),
                    "build_s": round(built, 1),
                    "adds_per_s": round(count / (built - trained)),
                    "file_mib": round(file_mib),
                    "peak_rss_mib": round(
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                    ),
                },
                "search": {
                    "probes": ann["probes"],
                    "min_read": graph.MIN_READ,
                    "min_fetch": ann["min_fetch"],
                },
                "ann_ms": {"p50": ann["p50_ms"], "p95": ann["p95_ms"]},
                "exact_scan_ms": exact_ms,
                "recall_at_10": ann["recall_at_10"],
                "min_recall_at_10": ann["min_recall_at_10"],
                "exact_fallbacks": ann["exact_fallbacks"],
                "sweep": runs[1:],
                "goals": {"ann_p95_ms": 50, "recall_at_10": 0.95},
                "data_s": round(made, 1),
                "threads": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
