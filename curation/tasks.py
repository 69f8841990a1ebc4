"""Celery tasks of curation."""

from celery import shared_task
from django.conf import settings

from curation.repositories import TransientTargetError
from curation.services.deposits import resume_stale_deposits, run_deposit


@shared_task(
    name="curation.run_deposit",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientTargetError,),
    retry_backoff=5,
    retry_backoff_max=settings.DEPOSIT_RETRY_MAX_SECONDS,
    max_retries=None,
)
def run_deposit_task(deposit_id: int) -> str:
    """Run a deposit's remaining steps. Idempotent: steps already recorded are not
    taken again, so a redelivery after a worker died repeats nothing. Retried with
    backoff while the target is down."""
    return run_deposit(deposit_id).state


@shared_task(name="curation.resume_deposits")
def resume_deposits() -> list[int]:
    """Queue again the deposits whose task was lost (scheduled); their ids."""
    return resume_stale_deposits()
