"""Celery tasks of inference: one task per batch of a job."""

import base64

from celery import shared_task
from PIL import Image as PILImage

from inference import vectors
from inference.ann import maintain
from inference.models import ModelVersion
from inference.numerics import verify
from inference.runners import runner_for
from inference.services.batches import TransientBatchError, process_batch


@shared_task(
    name="inference.run_batch",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientBatchError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def run_batch(batch_id: int) -> dict:
    """Idempotent: a redelivered batch writes nothing twice (see services.batches)."""
    return process_batch(batch_id)


@shared_task(name="inference.update_similarity_index", acks_late=True, reject_on_worker_lost=True)
def update_similarity_index(version_id: int | None = None, rebuild: bool = False) -> list[dict]:
    """Bring the "more like this" index of one embedder version (None: every one)
    in line with its embeddings; idempotent, so safe to run on a schedule."""
    ids = [version_id] if version_id is not None else maintain.embedder_versions()
    return [maintain.update_index(pk, rebuild=rebuild) for pk in ids]


@shared_task(name="inference.rebuild_similarity_index", acks_late=True, reject_on_worker_lost=True)
def rebuild_similarity_index(version_id: int | None = None) -> list[dict]:
    """The index built again from an empty graph (after a change of its parameters)."""
    return update_similarity_index(version_id, rebuild=True)


@shared_task(name="inference.embed_query_image")
def embed_query_image(version_id: int, data: str) -> dict:
    """The embedding of an uploaded image (base64) for "more like this": the web
    process waits for it, as it runs no model itself."""
    version = ModelVersion.objects.select_related("model").get(pk=version_id)
    runner = runner_for(version)
    try:
        decoded = runner.decode(base64.b64decode(data))
    except (OSError, ValueError, PILImage.DecompressionBombError) as error:
        return {"error": f"not an image we can read: {error}"}
    [vector] = runner.predict([decoded])
    return {"vector": base64.b64encode(vectors.encode(vector)).decode("ascii")}


@shared_task(name="inference.verify_numerics", acks_late=True, reject_on_worker_lost=True)
def verify_numerics(version_id: int) -> dict:
    """The fastest numerics that keep the version's outputs on this worker's
    device, recorded on its card (queued after registration and training;
    inference/numerics/policy.py says what "keep" means)."""
    version = ModelVersion.objects.select_related("model").filter(pk=version_id).first()
    if version is None:  # deleted before a worker got to it
        return {"skipped": f"no model version {version_id}"}
    return verify.verify_version(version)
