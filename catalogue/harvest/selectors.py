"""Reads of harvesting for the curator pages: sources with their last run, one source's runs."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from catalogue.harvest import tokens
from catalogue.models import HarvestSource, IngestBatch
from catalogue.services.external_copies import COPY_SOURCE

RUNS_SHOWN = 20
SETS_SHOWN = 200


def sources():
    """Every source with its live external set count and its last run (`last_run`)."""
    rows = list(
        HarvestSource.objects.annotate(
            live_sets=Count("image_sets", filter=Q(image_sets__remote_deleted__isnull=True))
        )
    )
    for row in rows:
        row.last_run = row.runs.order_by("-started").first()
    return rows


def source_page(name: str) -> dict:
    """A source, its set counts and its latest runs, newest first (404 for an unknown name)."""
    source = get_object_or_404(HarvestSource, name=name)
    return {
        "source": source,
        "live_sets": source.image_sets.filter(remote_deleted__isnull=True).count(),
        "buried_sets": source.image_sets.filter(remote_deleted__isnull=False).count(),
        "runs": list(source.runs.order_by("-started")[:RUNS_SHOWN]),
        "token": tokens.describe(source) if source.kind == HarvestSource.Kind.AQUACAT else None,
        "sets": external_sets_with_copies(source)
        if source.kind == HarvestSource.Kind.AQUACAT
        else [],
    }


def external_sets_with_copies(source: HarvestSource) -> list[dict]:
    """The source's live sets with their image counts, how many are copied here, and
    their latest copy: what the page's copy buttons need."""
    rows = list(
        source.image_sets.filter(remote_deleted__isnull=True)
        .annotate(
            n_images=Count("images"),
            n_copied=Count("images", filter=~Q(images__storage_key="")),
        )
        .order_by("title", "pk")[:SETS_SHOWN]
    )
    latest: dict[int, IngestBatch] = {}
    copies = IngestBatch.objects.filter(
        image_set__in=[row.pk for row in rows], source__startswith=COPY_SOURCE
    ).order_by("image_set_id", "-started")
    for batch in copies:
        latest.setdefault(batch.image_set_id, batch)
    return [
        {
            "image_set": row,
            "images": row.n_images,
            "copied": row.n_copied,
            "last_copy": latest.get(row.pk),
        }
        for row in rows
    ]
