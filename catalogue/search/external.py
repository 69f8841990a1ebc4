"""Which sets have no search document although they exist: external sets their source
deleted or closed (tombstones), and external copies of a DOI that another set holds.
One DOI is one entry: a local set wins over harvested copies, else the first harvested."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.db.models.functions import Lower

from catalogue.models import Image, ImageSet, State

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


def image_labels(set_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Per external set: (name, "validated") of its images' labels, as its source
    validated them (kept on each image, `Image.remote["labels"]`, not as annotations)."""
    found: dict[int, set[tuple[str, str]]] = {}
    rows = (
        Image.objects.filter(
            image_set_id__in=list(set_ids), image_set__harvest_source__isnull=False
        )
        .exclude(remote={})
        .order_by()
        .values_list("image_set_id", "remote__labels")
    )
    for set_id, labels in rows.iterator(chunk_size=2000):
        for label in labels if isinstance(labels, list) else []:
            name = label.get("name") if isinstance(label, dict) else None
            if name:
                found.setdefault(set_id, set()).add((name, "validated"))
    return {set_id: sorted(pairs) for set_id, pairs in found.items()}
