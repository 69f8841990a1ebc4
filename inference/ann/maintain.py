"""Keeping the index up to date, in workers: add the embeddings it lacks, drop
the images that are gone, publish a new file. Reconciles by image id against the
embedding rows (not by "rows since last time"), so it is idempotent, repairs any
drift, and two updates running at once each publish a complete state."""

from __future__ import annotations

import time

import numpy as np
from celery import current_app
from django.conf import settings
from django.db.models import Max

from inference import vectors
from inference.ann import engine, graph, store
from inference.ann.engine import embedder_versions as embedder_versions  # the tasks' list
from inference.models import ImageEmbedding

CHUNK = 5000
UPDATE_TASK = "inference.update_similarity_index"


def request_update(version_id: int) -> None:
    """Ask a worker to bring the version's index up to date (after its embeddings
    were written); the task is sent by name, so callers need not import tasks."""
    current_app.send_task(
        UPDATE_TASK,
        args=[version_id],
        queue=settings.INFERENCE_QUEUE or settings.CELERY_TASK_DEFAULT_QUEUE,
    )


def update_index(version_id: int, *, rebuild: bool = False) -> dict:
    """Bring the version's index (SIMILARITY_BACKEND's) in line with its embedding
    rows; a `rebuild` starts from an empty one (after a change of parameters, say)."""
    chosen = engine.backend()
    if chosen == engine.ENGINE:
        return engine.update(version_id, rebuild=rebuild)
    if chosen == engine.EXACT:
        return {"version": version_id, "count": 0, "published": False}
    return update_graph(version_id, rebuild=rebuild)


def update_graph(version_id: int, *, rebuild: bool = False) -> dict:
    """Bring the version's published usearch index in line with its embedding rows."""
    rows = ImageEmbedding.objects.filter(model_version_id=version_id)
    # Read first: rows written after this are newer than last_embedding_id and
    # the query path scans them exactly until the next update.
    last = rows.aggregate(last=Max("pk"))["last"] or 0
    wanted = np.fromiter(rows.values_list("image_id", flat=True).iterator(), dtype=np.int64)
    dimensions = rows.values_list("dimensions", flat=True).first()
    manifest = store.read_manifest(version_id)
    index = None
    if manifest is not None and not rebuild and manifest.dtype == graph.quantisation():
        index = store.load_writable(manifest)
    if dimensions is None:
        if manifest is None:
            return {"version": version_id, "count": 0, "published": False}
        dimensions = manifest.dimensions
    if index is None or index.ndim != dimensions:
        index = graph.new_graph(dimensions)
    present = graph.keys(index)
    gone = np.setdiff1d(present, wanted, assume_unique=True)
    missing = np.setdiff1d(wanted, present, assume_unique=True)
    removed = graph.remove(index, gone)
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK].tolist()
        found = list(
            rows.filter(image_id__in=chunk, dimensions=dimensions).values_list("image_id", "vector")
        )
        if found:
            graph.add(index, [r[0] for r in found], vectors.to_matrix([r[1] for r in found]))
    changed = rebuild or removed or len(missing)
    if manifest is not None and not changed and manifest.last_embedding_id == last:
        return {"version": version_id, "count": len(index), "published": False}
    published = store.publish(
        version_id,
        index,
        {
            "count": len(index),
            "dimensions": dimensions,
            "dtype": graph.quantisation(),
            "last_embedding_id": last,
            "built": time.time(),
        },
    )
    return {
        "version": version_id,
        "count": published.count,
        "added": len(missing),
        "removed": removed,
        "published": True,
    }
