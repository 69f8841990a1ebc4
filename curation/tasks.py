"""Celery tasks of curation."""

from celery import shared_task
from django.conf import settings

from curation.repositories import TransientTargetError
from curation.services.deposits import run_deposit


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
