"""The scheduled harvest (Celery beat runs it; catalogue/tasks.py registers it)."""

from __future__ import annotations

from celery import shared_task

from catalogue.harvest import runs, services
from catalogue.services import external_copies


@shared_task(name="catalogue.harvest_due_sources", acks_late=True, reject_on_worker_lost=True)
def harvest_due_sources() -> list[dict]:
    """Harvest every enabled source whose interval has passed; the runs' reports.
    A source that is down fails its own run only."""
    return [runs.report(runs.harvest(source)) for source in services.due_sources()]


@shared_task(name=external_copies.COPY_TASK, acks_late=True, reject_on_worker_lost=True)
def copy_external_files(batch_id: int, image_ids: list[int]) -> dict:
    """Copy an external set's files here (asked by a curator); the batch's counts."""
    batch = external_copies.copy_files(batch_id, image_ids)
    return {"batch": batch.pk, "copied": batch.added, "failed": len(batch.rejected)}
