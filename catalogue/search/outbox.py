"""From committed writes to the search index, with the database as the truth.

A write calls `record()` inside its own transaction, so an outbox row exists
exactly when the change was committed. `process_outbox()` (run by the indexing
task) re-reads each row's current state and writes its document, versioned by
the row's revision: a late or repeated run can never overwrite newer data, and
a failed run leaves the outbox as it was for the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from catalogue import signals
from catalogue.models import Image, SearchOutbox
from catalogue.search import external
from catalogue.search.documents import documents

logger = logging.getLogger(__name__)

BATCH = 500


def record(kind: str, ids: Iterable[int]) -> None:
    """Note that these rows changed; call inside the writing transaction."""
    rows = [SearchOutbox(kind=kind, object_id=object_id) for object_id in ids]
    if rows:
        SearchOutbox.objects.bulk_create(rows, batch_size=1000)
        transaction.on_commit(trigger_indexing)


def trigger_indexing() -> None:
    """Ask a worker to consume the outbox. If the broker is down the write still
    stands: the rows wait for the next trigger or `search_reconcile`."""
    from catalogue.tasks import index_outbox  # noqa: PLC0415 - catalogue.tasks imports this module

    try:
        index_outbox.apply_async(
            queue=settings.SEARCH_INDEX_QUEUE or settings.CELERY_TASK_DEFAULT_QUEUE,
            retry_policy={"max_retries": 1},
        )
    except Exception:  # the broker is down: log, never fail the write
        logger.warning("could not queue search indexing; the outbox keeps the changes")


def process_outbox(backend, batch: int = BATCH) -> dict[str, int]:
    """Index everything in the outbox; returns counts. Engine errors propagate,
    leaving the unprocessed rows in place."""
    done = {"indexed": 0, "deleted": 0, "failed": 0}
    while True:
        rows = list(SearchOutbox.objects.order_by("pk")[:batch])
        if not rows:
            return done
        wanted: dict[str, set[int]] = {"set": set(), "image": set()}
        for row in rows:
            if row.kind == SearchOutbox.Kind.SET_IMAGES:
                wanted["image"].update(
                    Image.objects.filter(image_set_id=row.object_id).values_list("pk", flat=True)
                )
            else:
                wanted[row.kind].add(row.object_id)
        # Which copy of a DOI is in search may change with any set holding it.
        wanted["set"] |= external.sharing_doi(wanted["set"])
        for kind, ids in wanted.items():
            write(backend, kind, sorted(ids), done)
        SearchOutbox.objects.filter(pk__in=[row.pk for row in rows]).delete()


def write(backend, kind: str, ids: list[int], done: dict[str, int]) -> None:
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        docs = list(documents(kind, chunk))
        failures = backend.index(kind, docs) if docs else []
        for failure in failures:
            logger.error("search: %s %s not indexed: %s", kind, failure.id, failure.reason)
        gone = sorted(set(chunk) - {doc["id"] for doc in docs})
        if gone:
            backend.delete(kind, gone)
        if kind == "image":
            signals.image_documents_written.send(sender=Image, documents=docs, gone=gone)
        done["indexed"] += len(docs) - len(failures)
        done["failed"] += len(failures)
        done["deleted"] += len(gone)
