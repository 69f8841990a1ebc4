"""One harvest of a source: its pages walked, its records stored, its run reported.

A source that cannot be harvested fails the run and changes nothing else: its
external sets stay searchable and its datestamp stays, so the next run asks
again from the same point. A refused resumption token restarts the list from
the run's datestamp; records met again are not counted (or written) twice.

A provider that keeps no deleted records (Identify's deletedRecord "no", as
InvenioRDM and Zenodo answer) never lists a deletion, or a record made
restricted: a full list, every FULL_EVERY or when asked, tells of them by the
records it no longer holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import requests
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.harvest import aquacat_run, invenio, mapping, oai, services
from catalogue.models import HarvestRun, HarvestSource

# How many times one run asks the list again after a refused token.
MAX_RESTARTS = 3
# How often a source that lists no deletions is listed whole.
FULL_EVERY = timedelta(days=7)
# How far back before the last harvest a REST search asks (changes still being indexed).
INDEXING_LAG = timedelta(minutes=1)

Progress = Callable[[HarvestRun, int | None], None]


def report(run: HarvestRun) -> dict:
    """The run as JSON: what the command prints and the curator page shows."""
    return {
        "source": run.source.name,
        "run": run.pk,
        "status": run.status,
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat() if run.finished else None,
        "from": run.from_datestamp.isoformat() if run.from_datestamp else None,
        "new": run.new,
        "updated": run.updated,
        "deleted": run.deleted,
        "skipped": run.skipped,
        "images": run.images,
        "restarts": run.restarts,
        "errors": run.errors,
    }


def harvest(
    source: HarvestSource,
    *,
    full: bool = False,
    progress: Progress | None = None,
    scythe: oai.Client | None = None,
) -> HarvestRun:
    """Harvest `source` now (the whole list when `full`); the run, finished."""
    run = HarvestRun.objects.create(source=source, from_datestamp=source.last_datestamp)
    seen: dict[str, str] = {}
    try:
        if source.kind == HarvestSource.Kind.OAI:
            scythe = scythe or oai.client(source.base_url)
            try:
                started_at = list_oai(run, source, seen, scythe, full=full, progress=progress)
            finally:
                scythe.close()
        elif source.kind == HarvestSource.Kind.INVENIO:
            started_at = list_invenio(run, source, seen, full=full, progress=progress)
        else:
            started_at = aquacat_run.list_aquacat(run, source, seen, full=full, progress=progress)
    except oai.SourceDown as down:
        run.errors.append({"identifier": "", "reason": str(down)})
        run.status = HarvestRun.Status.FAILED
    else:
        run.status = HarvestRun.Status.DONE
        if run.full:
            run.deleted += services.bury_missing(source, set(seen))
        source.last_datestamp = started_at or run.started
        source.save(update_fields=["last_datestamp"])
    run.finished = timezone.now()
    run.save()
    return run


def list_oai(
    run: HarvestRun,
    source: HarvestSource,
    seen: dict,
    scythe: oai.Client,
    *,
    full: bool,
    progress: Progress | None,
) -> datetime | None:
    """Take every page of the source's list; the first page's response date."""
    started_at: datetime | None = None
    if not source.metadata_prefix:
        source.metadata_prefix = oai.choose_prefix(scythe)
        source.save(update_fields=["metadata_prefix"])
    run.full = full or needs_full_list(source, oai.deleted_record_policy(scythe))
    if run.full:
        run.from_datestamp = None
    while True:
        try:
            for page in oai.pages(
                scythe,
                prefix=source.metadata_prefix,
                set_spec=source.set_spec,
                from_=run.from_datestamp,
            ):
                started_at = started_at or page.response_date
                take_page(run, source, page, seen)
                if progress:
                    progress(run, len(page.records) + len(page.unreadable))
            return started_at
        except oai.TokenRefused as refused:
            run.restarts += 1
            if run.restarts > MAX_RESTARTS:
                raise oai.SourceDown(
                    f"resumption token refused {run.restarts} times: {refused}"
                ) from refused


def list_invenio(
    run: HarvestRun, source: HarvestSource, seen: dict, *, full: bool, progress: Progress | None
) -> datetime:
    """Take every page of the source's REST search (a deleted or restricted record is no
    longer found: a full list tells of it); when it started, by our clock."""
    started_at = timezone.now()
    run.full = full or needs_full_list(source, "no")
    # The search sees a change once it is indexed: ask a little further back.
    since = None
    if run.full:
        run.from_datestamp = None
    elif run.from_datestamp is not None:
        since = run.from_datestamp - INDEXING_LAG
    with requests.Session() as session:
        session.headers["User-Agent"] = "AquaCat harvester"
        for hits in invenio.pages(
            session, source.base_url, community=source.community, query=source.query, since=since
        ):
            take_hits(run, source, hits, seen)
            if progress:
                progress(run, len(hits))
    return started_at


@transaction.atomic
def take_hits(run: HarvestRun, source: HarvestSource, hits: list[dict], seen: dict) -> None:
    """A page of REST search hits, as take_page takes an OAI-PMH page."""
    batch = services.Batch.of(source, [str(record.get("id", "")) for record in hits])
    for record in hits:
        identifier = str(record.get("id", ""))
        stamp = record.get("updated", "")
        if not identifier or seen.get(identifier) == stamp:
            continue
        seen[identifier] = stamp
        datestamp = invenio.datestamp(record)
        take_record(run, source, identifier, datestamp, False, record_reader(record), batch)
    finish_page(run, batch)


def finish_page(run: HarvestRun, batch: services.Batch) -> None:
    """The page's new sets written, its changes queued for search, the run's counts saved."""
    for identifier, reason in services.save_new(batch):
        run.new -= 1
        run.skip(identifier, reason)
    services.queue_changes(batch.changed)
    run.save()


def record_reader(record: dict) -> Callable[[], mapping.Mapped]:
    return lambda: invenio.mapped(record)


def needs_full_list(source: HarvestSource, policy: str) -> bool:
    """The first harvest, and for a provider that lists no deletions, every FULL_EVERY."""
    if source.last_datestamp is None:
        return True
    if policy == "persistent":
        return False
    last_full = source.runs.filter(full=True, status=HarvestRun.Status.DONE)
    finished = last_full.order_by("-finished").values_list("finished", flat=True).first()
    return finished is None or finished + FULL_EVERY <= timezone.now()


@transaction.atomic
def take_page(run: HarvestRun, source: HarvestSource, page: oai.Page, seen: dict) -> None:
    """A page's records in one transaction (each its own savepoint), its documents
    queued once."""
    batch = services.Batch.of(source, [record.identifier for record in page.records])
    for identifier, reason in page.unreadable:
        run.skip(identifier, reason)
        seen.setdefault(identifier, "")  # still held by the source: not to be buried
    for record in page.records:
        if not record.identifier:
            run.skip("", "a record without an identifier")
            continue
        if seen.get(record.identifier) == record.datestamp:
            continue  # met before a restart: already taken
        seen[record.identifier] = record.datestamp
        take_record(
            run,
            source,
            record.identifier,
            oai.parse_datestamp(record.datestamp),
            record.deleted,
            oai_reader(record, source.metadata_prefix),
            batch,
        )
    finish_page(run, batch)


def oai_reader(record: oai.Record, prefix: str) -> Callable[[], mapping.Mapped]:
    return lambda: mapping.mapped(record.metadata, prefix)


def take_record(
    run: HarvestRun,
    source: HarvestSource,
    identifier: str,
    datestamp: datetime | None,
    deleted: bool,
    read: Callable[[], mapping.Mapped],
    batch: services.Batch,
) -> None:
    """Store, update or bury one record's set, counting it in the run."""
    found = None
    if not deleted:
        try:
            found = read()
        except mapping.Invalid as invalid:
            run.skip(identifier, str(invalid))
            return
    if found is None or found.closed:
        if services.bury_record(source, identifier, datestamp, batch.changed):
            run.deleted += 1
        return
    try:
        outcome, _ = services.store_record(source, identifier, datestamp, found, batch)
    except ValidationError as error:
        run.skip(identifier, services.validation_problems(error))
        return
    except IntegrityError as refused:
        run.skip(identifier, f"refused by the database: {refused}")
        return
    if outcome == "new":
        run.new += 1
    elif outcome == "updated":
        run.updated += 1
