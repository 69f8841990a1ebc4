"""Which sets have no search document although they exist: external sets their source
deleted or closed (tombstones), and external copies of a DOI that another set holds.
One DOI is one entry: a local set wins over harvested copies, else the first harvested."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.db.models.functions import Lower

from catalogue.models import ImageSet, State

LOCAL = "local"


def source_name(image_set: ImageSet) -> str:
    """The "source" facet's value: local, or the name of the harvest source."""
    source = image_set.harvest_source
    return source.name if source is not None else LOCAL


def copies(dois: Iterable[str]):
    """The sets that may stand for these DOIs (any case): live external sets, and
    published local ones (a local draft or a set being published hides no copy)."""
    wanted = {doi.lower() for doi in dois if doi}
    standing = Q(harvest_source__isnull=False) | Q(state=State.PUBLISHED)
    return (
        ImageSet.objects.annotate(doi_lower=Lower("doi"))
        .filter(standing, doi_lower__in=wanted, remote_deleted__isnull=True)
        .order_by()
    )


def sharing_doi(ids: Iterable[int]) -> set[int]:
    """The ids of the live sets that share a DOI with any of the sets `ids`."""
    dois = ImageSet.objects.filter(pk__in=list(ids)).exclude(doi="").values_list("doi", flat=True)
    wanted = list(dois)
    return set(copies(wanted).values_list("pk", flat=True)) if wanted else set()


def out_of_search(sets: Iterable[ImageSet]) -> set[int]:
    """The ids among `sets` that must have no document."""
    sets = list(sets)
    gone = {s.pk for s in sets if s.remote_deleted is not None}
    dois = {s.doi.lower() for s in sets if s.harvest_source_id and s.doi and s.pk not in gone}
    if not dois:
        return gone
    winners: dict[str, tuple[bool, int]] = {}
    for doi, pk, source_id in copies(dois).values_list("doi_lower", "pk", "harvest_source_id"):
        key = (source_id is not None, pk)
        if doi not in winners or key < winners[doi]:
            winners[doi] = key
    for s in sets:
        live_copy = s.harvest_source_id and s.doi and s.pk not in gone
        if live_copy and winners.get(s.doi.lower(), (True, s.pk))[1] != s.pk:
            gone.add(s.pk)
    return gone


def hidden_set_ids() -> set[int]:
    """Every set that must have no document (all of them are external)."""
    external = ImageSet.objects.filter(harvest_source__isnull=False)
    return out_of_search(external.only("pk", "doi", "harvest_source_id", "remote_deleted"))
