"""Search documents after the taxon table changed (`manage.py taxa refresh`).

A document carries the names, synonyms and vernaculars of its taxa and of their
ancestors, read from the taxon table when it is built; a refresh that changes a
row leaves documents built before it stale, and their revisions (the sets' and
images' own) do not say so. Here the sets and images whose documents read a
changed row get a new revision and are queued, so the next indexing, or
`search_reconcile`, writes them again.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from catalogue.models import Image, ImageSet, SearchOutbox, Taxon
from catalogue.search import outbox
from catalogue.search.taxonomy import as_aphia_id
from catalogue.vocabularies.taxa import snapshot as snapshot_fields

# What a document reads of a taxon row: its content as the snapshot holds it (not
# when it was fetched, nor where from).
CONTENT = snapshot_fields.FIELDS


def snapshot() -> dict[int, tuple]:
    """The content of every taxon row, to compare before and after a refresh (which
    may add ancestors as well as change the rows it asked for)."""
    rows = Taxon.objects.values_list("aphia_id", *CONTENT)
    return {row[0]: tuple(row[1:]) for row in rows.iterator(chunk_size=5000)}


def changed_between(before: dict[int, tuple], after: dict[int, tuple]) -> set[int]:
    return {aphia_id for aphia_id, content in after.items() if before.get(aphia_id) != content}


def reading(changed: set[int]) -> set[int]:
    """The taxa whose expansion reads a changed row: the rows themselves, their
    descendants (the lineage names them) and their synonyms."""
    found = set(changed)
    rows = Taxon.objects.values_list("aphia_id", "valid_aphia_id", "lineage")
    for aphia_id, valid_id, lineage in rows.iterator(chunk_size=5000):
        ancestors = {step.get("aphia_id") for step in lineage or [] if isinstance(step, dict)}
        if valid_id in changed or ancestors & changed:
            found.add(aphia_id)
    return found


def requeue_documents(changed: set[int]) -> dict[str, int]:
    """New revisions for the sets and images whose documents read these taxa, queued
    for indexing: sets naming one of them (with all their images, whose documents
    carry the set's taxa) and images with a validated label of one of them."""
    if not changed:
        return {"sets": 0, "images": 0}
    taxa = reading(changed)
    stated = ImageSet.objects.exclude(taxa=[]).values_list("pk", "taxa")
    set_ids = {
        pk
        for pk, entries in stated.iterator(chunk_size=2000)
        if any(as_aphia_id(e.get("aphia_id")) in taxa for e in entries if isinstance(e, dict))
    }
    labelled = Image.objects.filter(
        annotations__status="validated", annotations__label__aphia_id__in=taxa
    ).order_by()
    image_ids = set(labelled.values_list("pk", flat=True).distinct())
    set_ids |= set(labelled.values_list("image_set_id", flat=True).distinct())
    with transaction.atomic():
        ImageSet.objects.filter(pk__in=set_ids).update(revision=F("revision") + 1)
        Image.objects.filter(pk__in=image_ids).update(revision=F("revision") + 1)
        outbox.record("set", sorted(set_ids))
        outbox.record(SearchOutbox.Kind.SET_IMAGES, sorted(set_ids))
        outbox.record("image", sorted(image_ids))
    return {"sets": len(set_ids), "images": len(image_ids)}
