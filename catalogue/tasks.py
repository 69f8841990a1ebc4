"""Celery tasks of the catalogue."""

from celery import shared_task
from django.conf import settings

from catalogue.fixity.services import run_rota
from catalogue.harvest.tasks import harvest_due_sources  # noqa: F401 - registered here
from catalogue.search import get_backend
from catalogue.search.backends.engine.client import SearchEngineError
from catalogue.search.maintenance import reconcile
from catalogue.search.outbox import process_outbox
from catalogue.services.embargoes import lift_ended_embargoes
from catalogue.services.taxa import retry_pending
from catalogue.uploads.tasks import expire_uploads, ingest_upload  # noqa: F401 - registered here


@shared_task(
    name="catalogue.index_outbox",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(SearchEngineError, ConnectionError),
    retry_backoff=2,
    retry_backoff_max=settings.SEARCH_INDEX_RETRY_MAX_SECONDS,
    retry_jitter=False,
    max_retries=None,
)
def index_outbox() -> dict:
    """Consume the search outbox. Idempotent: documents carry their revision, so a
    redelivered or late run changes nothing newer. Retried while the engine is down."""
    return process_outbox(get_backend())


@shared_task(name="catalogue.match_pending_taxa")
def match_pending_taxa() -> dict:
    """Ask WoRMS again about the names that waited for it (imports made while it was
    unreachable); those it now settles label their labels."""
    return retry_pending()


@shared_task(name="catalogue.lift_embargoes")
def lift_embargoes() -> list[str]:
    """Open the sets whose embargo has ended (scheduled); their uuids."""
    return lift_ended_embargoes()


@shared_task(name="catalogue.check_fixity", acks_late=True)
def check_fixity() -> dict:
    """Re-hash this run's share of the stored files (scheduled); the counts found."""
    return run_rota()


@shared_task(name="catalogue.reconcile_search")
def reconcile_search() -> dict:
    """Index what the outbox holds, then repair any drift between rows and documents."""
    backend = get_backend()
    report: dict = {"outbox": process_outbox(backend)}
    for kind in ("set", "image"):
        report[kind] = reconcile(backend, kind)
    return report
