"""Celery tasks of uploads: the ingest of a completed upload, and the sweep of
abandoned ones (for the scheduler: `catalogue.expire_uploads`)."""

from celery import shared_task

from catalogue.uploads import services


@shared_task(name=services.INGEST_TASK, acks_late=True, reject_on_worker_lost=True)
def ingest_upload(upload_id: int) -> str:
    """Verify and ingest one completed upload (with the choices it holds: metadata,
    frame sampling); a redelivery finds it claimed and stops."""
    return services.ingest_upload(upload_id)


@shared_task(name="catalogue.expire_uploads")
def expire_uploads() -> int:
    """Remove uploads left idle past UPLOAD_EXPIRY_HOURS (their bytes and S3 parts)."""
    return services.expire_abandoned_uploads()
