"""One harvest of another AquaCat, set by set and image by image.

Every run lists the remote's published sets (one request per 200 sets): a set whose
`updated` differs from the one harvested is read again (detail, images, labels), the
others cost nothing more, and a set no longer listed (deleted, restricted, or
unpublished there) or no longer open is buried here. The API's `updated_after`
filter would list the changes alone, but not the sets that left: an anonymous
visitor no longer sees them at all. Sets are written ten at a time, in one
transaction (write_chunk), while a second thread fetches the next sets."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import requests
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.harvest import aquacat, aquacat_mapping, services, tokens
from catalogue.harvest.external_images import add_images, store_images
from catalogue.harvest.mapping import Invalid, Mapped
from catalogue.harvest.oai import parse_datestamp
from catalogue.models import HarvestRun, HarvestSource

# Sets written together, in one transaction (about a thousand images).
CHUNK = 10


@dataclass
class Found:
    """A set as fields, its images as Image fields."""

    identifier: str
    stamp: datetime | None
    mapped: Mapped
    images: list[dict]


@dataclass
class Remote:
    """What the remote says of one set: its detail, its images, their labels (read
    by the fetching thread, which touches no database)."""

    row: dict
    detail: dict
    labels: dict[int, list[str]]
    images: list[dict]


def list_aquacat(
    run: HarvestRun,
    source: HarvestSource,
    seen: dict,
    *,
    full: bool,
    progress: Callable[[HarvestRun, int | None], None] | None,
) -> datetime:
    """Take every published set of the remote (each re-read when `full`); when the
    run started, by our clock. One thread fetches the sets to read, one after the
    other, while this one maps and writes those already fetched."""
    started_at = timezone.now()
    run.full = True  # the whole list, every time: what it lacks is buried
    taxa: dict = {}  # names matched to our taxa, once a run
    lister, reader = tokens.session_for(source), tokens.session_for(source)
    with lister, reader, ThreadPoolExecutor(1) as fetcher:
        for rows in aquacat.set_pages(lister, source.base_url, source.set_spec):
            batch = services.Batch.of(source, [str(row.get("uuid") or "") for row in rows])
            to_read = [row for row in rows if needs_reading(run, source, row, batch, seen, full)]
            batch.taxa = taxa
            fetched = [fetcher.submit(fetch, reader, source.base_url, row) for row in to_read]
            try:
                chunk: list[Found] = []
                for remote in fetched:
                    found = map_set(run, source, remote.result(), batch.taxa)
                    chunk += [found] if found else []
                    if len(chunk) == CHUNK or remote is fetched[-1]:
                        write_chunk(run, source, chunk, batch)
                        chunk = []
                run.save()
            except BaseException:
                for waiting in fetched:
                    waiting.cancel()  # a source down: no more asking
                raise
            if progress:
                progress(run, len(rows))
    return started_at


def needs_reading(
    run: HarvestRun,
    source: HarvestSource,
    row: dict,
    batch: services.Batch,
    seen: dict,
    reread: bool,
) -> bool:
    """Whether a listed set must be read: not when unchanged since the last harvest
    (unless `reread`); not when no longer open there (it is buried here)."""
    identifier = str(row.get("uuid") or "")
    if not identifier or not isinstance(row.get("id"), int):
        run.skip(identifier, "a set without an id or uuid")
        return False
    seen[identifier] = row.get("updated", "")
    stamp = parse_datestamp(str(row.get("updated") or ""))
    existing = batch.existing.get(identifier)
    if (
        not reread
        and existing is not None
        and existing.remote_deleted is None
        and existing.remote_datestamp == stamp
    ):
        return False
    if row.get("access") != "open":
        if services.bury_record(source, identifier, stamp):
            run.deleted += 1
        return False
    return True


def fetch(session: requests.Session, base_url: str, row: dict) -> Remote:
    return Remote(
        row=row,
        detail=aquacat.set_detail(session, base_url, row["id"]),
        labels=aquacat.labels_of(session, base_url, row["id"]),
        images=aquacat.images_of(session, base_url, row["id"]),
    )


def map_set(run: HarvestRun, source: HarvestSource, remote: Remote, taxa: dict) -> Found | None:
    """A fetched set as fields, or None (skipped with its reason)."""
    identifier = str(remote.row["uuid"])
    try:
        found = aquacat_mapping.mapped_set(remote.detail, source.base_url)
        images = image_rows(run, remote, found, taxa)
    except Invalid as invalid:
        run.skip(identifier, str(invalid))
        return None
    stamp = parse_datestamp(str(remote.row.get("updated") or ""))
    return Found(identifier, stamp, found, images)


def image_rows(run: HarvestRun, remote: Remote, found: Mapped, taxa: dict) -> list[dict]:
    """The set's images as Image fields, their validated labels matched to our taxa
    (where our table knows them); the labels' names join the set's taxa. An image
    that cannot be taken is skipped with its reason."""
    named = {}
    for name in {name for names in remote.labels.values() for name in names}:
        key = (None, name)
        if key not in taxa:
            taxa[key] = services.match_taxon({"scientific_name": name})
        named[name] = {"name": name, "aphia_id": (taxa[key] or {}).get("aphia_id")}
    stated = {taxon.get("scientific_name") for taxon in found.fields["taxa"]}
    found.fields["taxa"] += [
        {"scientific_name": name} for name in sorted(named) if name not in stated
    ]
    images = []
    for row in remote.images:
        labels = [named[name] for name in remote.labels.get(row.get("id") or 0, [])]
        try:
            images.append(aquacat_mapping.image_fields(row, labels, found.landing_page))
        except Invalid as invalid:
            run.skip(f"{found.landing_page}#image-{row.get('id')}", str(invalid))
    return images


def write_chunk(
    run: HarvestRun, source: HarvestSource, chunk: list[Found], batch: services.Batch
) -> None:
    """A few sets with their images in one transaction, their new sets in one INSERT
    and new images in one COPY, their documents queued once. Should the database
    refuse any of it, all of it is undone and written again set by set, each in a
    savepoint of its own, so the refusal names its set and the others stand."""
    before = (run.new, run.updated, run.images, run.skipped, len(run.errors))
    try:
        with transaction.atomic():
            store_together(run, source, chunk, batch)
            services.queue_changes(batch.changed)
    except IntegrityError:
        run.new, run.updated, run.images, run.skipped = before[:4]
        del run.errors[before[4] :]
        fresh = services.Batch.of(source, [found.identifier for found in chunk])
        batch.existing.update(fresh.existing)
        for found in chunk:
            if found.identifier not in fresh.existing:
                batch.existing.pop(found.identifier, None)
        batch.new, batch.changed = [], []
        with transaction.atomic():
            for found in chunk:
                store_set(run, source, found, batch)
            services.queue_changes(batch.changed)
    batch.changed = []


def store_together(
    run: HarvestRun, source: HarvestSource, chunk: list[Found], batch: services.Batch
) -> None:
    stored = []
    for found in chunk:
        try:
            outcome, image_set = services.store_record(
                source, found.identifier, found.stamp, found.mapped, batch
            )
        except ValidationError as error:
            run.skip(found.identifier, services.validation_problems(error))
            continue
        stored.append((outcome, image_set, found.images))
    for identifier, reason in services.save_new(batch):
        run.skip(identifier, reason)
    new_images = []
    for outcome, image_set, images in stored:
        if image_set is None or image_set.pk is None:
            continue  # refused by the database (save_new named it)
        if outcome == "new":
            new_images.append((image_set, images))
            written = len(images)
        else:
            written = store_images(image_set, images)
            if written and outcome == "unchanged":
                batch.changed.append(image_set.pk)  # re-read (`full`): images changed
        count(run, outcome, written)
    add_images(new_images)


def store_set(run: HarvestRun, source: HarvestSource, found: Found, batch: services.Batch) -> None:
    """One set and its images in a savepoint: all of it, or nothing and a reason."""
    try:
        with transaction.atomic():
            outcome, image_set = services.store_record(
                source, found.identifier, found.stamp, found.mapped, batch
            )
            if image_set is not None and image_set.pk is None:  # new: its images need its id
                image_set.save()
                batch.new.clear()
                batch.changed.append(image_set.pk)
            written = store_images(image_set, found.images) if image_set is not None else 0
            if written and outcome == "unchanged" and image_set is not None:
                batch.changed.append(image_set.pk)
    except ValidationError as error:
        run.skip(found.identifier, services.validation_problems(error))
        return
    except IntegrityError as refused:
        batch.existing.pop(found.identifier, None)
        run.skip(found.identifier, f"refused by the database: {refused}")
        return
    count(run, outcome, written)


def count(run: HarvestRun, outcome: str, images: int) -> None:
    run.images += images
    if outcome == "new":
        run.new += 1
    elif outcome == "updated":
        run.updated += 1
