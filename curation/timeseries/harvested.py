"""Labels of harvested images in a series.

An external set's images carry the labels their source validated as a list on each
image (`Image.remote["labels"]`: [{"name", "aphia_id"}], one entry per label name
and image, written by catalogue/harvest/aquacat_run.py), not as annotations here. A
series counts each of them as a validated label, once per image, as the search's
facets do (catalogue/search/external.py); they have no label id here, so their line's
`label_id` is empty. Counted in Python over the dated images in range: the list is
JSON, read the same way on every database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from catalogue.models import Image
from curation.models import Label
from curation.timeseries import bins

# Harvested lines take a colour from this list by their name, so a label keeps its
# colour from one view to the next (local labels have their own).
COLOURS = ("#8c564b", "#17becf", "#bcbd22", "#7f7f7f", "#e377c2", "#9467bd")

# (name, AphiaID or None): what identifies a harvested label.
Name = tuple[str, int | None]


def labels_per_bin(
    images: QuerySet[Image], kind: str, chosen: list[Label] | None
) -> dict[tuple[datetime, Name], int]:
    """{(bin start, harvested label): images with that label} over `images` (the
    readable, dated images of the range). With `chosen` labels, only harvested
    labels that name one of them: the same AphiaID or the same name."""
    rows = (
        images.filter(image_set__harvest_source__isnull=False)
        .exclude(remote={})
        .order_by()
        .values_list("captured_at", "remote__labels")
    )
    counted: dict[tuple[datetime, Name], int] = {}
    wanted = _matcher(chosen)
    for captured_at, labels in rows.iterator(chunk_size=2000):
        if captured_at is None:  # the caller's range takes dated images only
            continue
        start = bins.floor(captured_at, kind)
        for name in _names(labels):
            if wanted(name):
                counted[(start, name)] = counted.get((start, name), 0) + 1
    return counted


def colour(name: str) -> str:
    digest = hashlib.blake2s(name.encode(), digest_size=2).digest()
    return COLOURS[int.from_bytes(digest, "big") % len(COLOURS)]


def _names(labels) -> Iterable[Name]:
    """The well-formed entries of an image's harvested labels, each name once."""
    seen = set()
    for label in labels if isinstance(labels, list) else []:
        name = label.get("name") if isinstance(label, dict) else None
        if not isinstance(name, str) or not name or name in seen:
            continue
        seen.add(name)
        aphia_id = label.get("aphia_id")
        whole = isinstance(aphia_id, int) and not isinstance(aphia_id, bool)
        yield name, aphia_id if whole else None


def _matcher(chosen: list[Label] | None):
    if chosen is None:
        return lambda name: True
    aphia_ids = {label.aphia_id for label in chosen if label.aphia_id is not None}
    names = {label.name for label in chosen}

    def wanted(name: Name) -> bool:
        text, aphia_id = name
        return text in names or (aphia_id is not None and aphia_id in aphia_ids)

    return wanted
