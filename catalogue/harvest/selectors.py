"""Reads of harvesting for the curator pages: sources with their last run, one source's runs."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from catalogue.models import HarvestSource

RUNS_SHOWN = 20


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
    }
