"""Keeping the index up to date, in workers: add the embeddings it lacks, drop
the images that are gone, give images embedded again their new vector, train the
lists anew when the catalogue has outgrown them, publish a new file. Reconciles
by image id against the embedding rows (not by "rows since last time"), so it is
idempotent, repairs any drift, and two updates running at once each publish a
complete state."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from celery import current_app
from django.conf import settings
from django.db.models import Max, QuerySet

from inference import vectors
from inference.ann import engine, graph, store
from inference.ann.engine import embedder_versions as embedder_versions  # the tasks' list
from inference.models import ImageEmbedding

if TYPE_CHECKING:
    from faiss import IndexIVF as Index

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
    """Bring the version's published inverted file in line with its embedding rows:
    trained anew when there is none, on a `rebuild`, or when the catalogue has
    outgrown its lists; images embedded again since the last update get their new
    vector."""
    rows = ImageEmbedding.objects.filter(model_version_id=version_id)
    # Read first: rows written after this are newer than last_embedding_id and
    # the query path scans them exactly until the next update.
    last = rows.aggregate(last=Max("pk"))["last"] or 0
    wanted = np.fromiter(rows.values_list("image_id", flat=True).iterator(), dtype=np.int64)
    dimensions = rows.values_list("dimensions", flat=True).first()
    manifest = store.read_manifest(version_id)
    if dimensions is None:
        if manifest is None:
            return {"version": version_id, "count": 0, "published": False}
        dimensions = manifest.dimensions
    rows = rows.filter(dimensions=dimensions)
    index = None
    if manifest is not None and not rebuild and manifest.dtype == graph.quantisation():
        index = store.load_writable(manifest)
    if (
        index is None
        or graph.dimensions(index) != dimensions
        or graph.needs_training(index, len(wanted))
    ):
        index, trained = trained_index(rows, wanted, dimensions), True
    else:
        trained = False
    present = graph.keys(index)
    gone = np.setdiff1d(present, wanted)
    missing = np.setdiff1d(wanted, present)
    since = 0 if manifest is None or trained else manifest.last_embedding_id
    embedded_again = np.intersect1d(
        np.fromiter(rows.filter(pk__gt=since).values_list("image_id", flat=True), dtype=np.int64),
        present,
    )
    removed = graph.remove(index, gone)
    for ids in (missing, embedded_again):
        for start in range(0, len(ids), CHUNK):
            image_ids, matrix = read_vectors(rows, ids[start : start + CHUNK])
            graph.add(index, image_ids, matrix)
    changed = trained or removed or len(missing) or len(embedded_again)
    if manifest is not None and not changed and manifest.last_embedding_id == last:
        return {"version": version_id, "count": graph.size(index), "published": False}
    published = store.publish(
        version_id,
        index,
        {
            "count": graph.size(index),
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
        "replaced": len(embedded_again),
        "removed": removed,
        "trained": bool(trained),
        "published": True,
    }


def trained_index(rows: QuerySet[ImageEmbedding], wanted: np.ndarray, dimensions: int) -> Index:
    """An empty index whose centroids are trained on a sample of the wanted
    images' vectors (seeded by the count, so a rebuild of the same rows repeats)."""
    size = graph.training_size(len(wanted))
    sample = np.sort(np.random.default_rng(len(wanted)).choice(wanted, size, replace=False))
    parts = [
        read_vectors(rows, sample[start : start + CHUNK])[1] for start in range(0, size, CHUNK)
    ]
    parts = [part for part in parts if len(part)]
    training = np.concatenate(parts) if parts else np.empty((0, dimensions), dtype=np.float32)
    return graph.new_graph(dimensions, training, len(wanted))


def read_vectors(
    rows: QuerySet[ImageEmbedding], image_ids: np.ndarray
) -> tuple[list[int], np.ndarray]:
    """The image ids found among `image_ids` and their vectors, one row each."""
    found = list(rows.filter(image_id__in=image_ids.tolist()).values_list("image_id", "vector"))
    if not found:
        return [], np.empty((0, 0), dtype=np.float32)
    return [row[0] for row in found], vectors.to_matrix([row[1] for row in found])
