"""What OAI-PMH exposes, read from the catalogue: records, tombstones, sets.

Access comes from `catalogue.access.public_filter()` only: a harvester sees
what an anonymous visitor sees. A record's datestamp is its set's `updated`
(every write bumps it); a set that stops being public leaves a tombstone
(`OaiTombstone`) stamped when that happened.

Lists page on the key (datestamp, uuid), over the live sets and the tombstones
merged; a harvest is bounded by the `until` fixed at its first page, so a
record changed during the harvest moves past that bound and is delivered by
the next incremental harvest (from = this harvest's responseDate), never twice
within one.
"""

from __future__ import annotations

import heapq
import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.text import slugify

from catalogue.access import public_filter
from catalogue.models import ImageSet, OaiTombstone

# setSpec prefix -> ImageSet field.
SET_FIELDS = {
    "infrastructure": "research_infrastructure",
    "instrument": "instrument",
    "modality": "modality",
}
SET_LABELS = {
    "infrastructure": "Research infrastructure",
    "instrument": "Instrument",
    "modality": "Imaging modality",
}


def oai_identifier(set_uuid) -> str:
    return f"oai:{settings.OAI_REPOSITORY_IDENTIFIER}:set/{set_uuid}"


def parse_identifier(identifier: str) -> uuid_module.UUID | None:
    prefix = f"oai:{settings.OAI_REPOSITORY_IDENTIFIER}:set/"
    if not identifier.startswith(prefix):
        return None
    try:
        return uuid_module.UUID(identifier[len(prefix) :])
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _slug(value: str) -> str:
    return slugify(value)


def set_specs(image_set: ImageSet) -> list[str]:
    specs = []
    for prefix, name in SET_FIELDS.items():
        value = getattr(image_set, name)
        if value and _slug(value):
            specs.append(f"{prefix}:{_slug(value)}")
    return specs


# --- reading ------------------------------------------------------------------------


@dataclass
class Record:
    uuid: uuid_module.UUID
    datestamp: datetime
    deleted: bool
    specs: list[str] = field(default_factory=list)
    image_set: ImageSet | None = None

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.datestamp, self.uuid.hex)


def public_sets():
    # External sets are other catalogues' records: their providers serve them.
    return ImageSet.objects.filter(public_filter(), harvest_source__isnull=True)


def get_record(set_uuid) -> Record | None:
    image_set = public_sets().filter(uuid=set_uuid).first()
    if image_set is not None:
        return Record(image_set.uuid, image_set.updated, False, set_specs(image_set), image_set)
    tomb = OaiTombstone.objects.filter(uuid=set_uuid).first()
    if tomb is not None:
        return Record(tomb.uuid, tomb.datestamp, True, tomb.spec_list())
    return None


def list_sets() -> list[tuple[str, str]]:
    """(setSpec, setName): a parent set per kind, a child per value in public sets."""
    out = []
    for prefix, name in SET_FIELDS.items():
        values = sorted(
            {v for v in public_sets().values_list(name, flat=True).distinct() if v and slugify(v)}
        )
        if not values:
            continue
        out.append((prefix, SET_LABELS[prefix]))
        set_field = ImageSet._meta.get_field(name)
        choices = set_field.choices if isinstance(set_field, models.Field) else None
        labels = dict(choices or [])
        seen = set()
        for value in values:
            spec = f"{prefix}:{slugify(value)}"
            if spec not in seen:
                seen.add(spec)
                out.append((spec, f"{SET_LABELS[prefix]}: {labels.get(value, value)}"))
    return out


def _set_filter(spec: str) -> tuple[Q, Q] | None:
    """(filter on sets, filter on tombstones) of a setSpec; None for an unknown spec."""
    prefix, _, slug = spec.partition(":")
    name = SET_FIELDS.get(prefix)
    if name is None or (slug and slug != slugify(slug)):
        return None
    if not slug:
        return ~Q(**{name: ""}), Q(set_specs__contains=f"|{prefix}:")
    values = [
        v for v in public_sets().values_list(name, flat=True).distinct() if v and slugify(v) == slug
    ]
    values += [
        v
        for v in ImageSet.objects.exclude(public_filter())
        .filter(uuid__in=OaiTombstone.objects.values("uuid"))
        .values_list(name, flat=True)
        .distinct()
        if v and slugify(v) == slug
    ]
    return Q(**{f"{name}__in": values}), Q(set_specs__contains=f"|{spec}|")


def is_known_set(spec: str) -> bool:
    return spec in {s for s, _ in list_sets()} or _set_filter(spec) is not None


@dataclass
class Window:
    """The selection of one list request and where its next page starts."""

    start: datetime | None = None  # from, inclusive
    end: datetime | None = None  # until, exclusive
    spec: str | None = None
    after: tuple[datetime, str] | None = None  # the last key delivered


def list_page(window: Window, size: int, *, with_sets: bool) -> tuple[list[Record], bool]:
    """Up to `size` records after `window.after` in key order, and whether more follow."""
    live = public_sets()
    dead = OaiTombstone.objects.all()
    if window.spec:
        filters = _set_filter(window.spec)
        if filters is None:
            return [], False
        live, dead = live.filter(filters[0]), dead.filter(filters[1])
    if window.start:
        live, dead = (
            live.filter(updated__gte=window.start),
            dead.filter(datestamp__gte=window.start),
        )
    if window.end:
        live, dead = live.filter(updated__lt=window.end), dead.filter(datestamp__lt=window.end)
    if window.after:
        stamp, last = window.after
        last_uuid = uuid_module.UUID(last)
        live = live.filter(updated__gte=stamp).filter(Q(updated__gt=stamp) | Q(uuid__gt=last_uuid))
        dead = dead.filter(datestamp__gte=stamp).filter(
            Q(datestamp__gt=stamp) | Q(uuid__gt=last_uuid)
        )
    live = live.order_by("updated", "uuid")
    if not with_sets:
        live = live.only("uuid", "updated", *SET_FIELDS.values())
    live_records = (Record(s.uuid, s.updated, False, set_specs(s), s) for s in live[: size + 1])
    dead_records = (
        Record(t.uuid, t.datestamp, True, t.spec_list())
        for t in dead.order_by("datestamp", "uuid")[: size + 1]
    )
    merged = list(heapq.merge(list(live_records), list(dead_records), key=lambda r: r.key))[
        : size + 1
    ]
    return merged[:size], len(merged) > size


def earliest_datestamp() -> datetime:
    stamps = [
        public_sets().order_by("updated").values_list("updated", flat=True).first(),
        OaiTombstone.objects.order_by("datestamp").values_list("datestamp", flat=True).first(),
    ]
    stamps = [s for s in stamps if s is not None]
    return min(stamps) if stamps else datetime(2000, 1, 1, tzinfo=UTC)
