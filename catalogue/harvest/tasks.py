"""The scheduled harvest (Celery beat runs it; catalogue/tasks.py registers it)."""

from __future__ import annotations

from celery import shared_task

from catalogue.harvest import runs, services


@shared_task(name="catalogue.harvest_due_sources", acks_late=True, reject_on_worker_lost=True)
def harvest_due_sources() -> list[dict]:
    """Harvest every enabled source whose interval has passed; the runs' reports.
    A source that is down fails its own run only."""
    return [runs.report(runs.harvest(source)) for source in services.due_sources()]
