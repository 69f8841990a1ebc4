"""Celery tasks of inference: one task per batch of a job."""

from celery import shared_task

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
