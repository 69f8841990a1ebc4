"""Stations: the sets that share a station code (`ImageSet.station`) make one series,
as an observatory's site or fixed camera is deposited set after set (a deployment,
a year, a copy harvested from another catalogue).

Only the sets whose images the caller may read belong to a station for them
(catalogue/access.py, `Action.READ_FILES`): a restricted set or one whose files are
under embargo adds nothing to a station's series or list, and a station none of
whose sets the caller may read is not found at all. Versions of a set hold copies of
the same images: a station counts one version of each concept, the newest published
one the caller may read (else, for its curators, the newest draft).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from catalogue import access
from catalogue.access import Action
from catalogue.errors import NotVisible
from catalogue.models import ImageSet, State

NO_STATION = "No station with this code (or none with a set whose images you may read)."


@dataclass
class Station:
    code: str
    sets: list[ImageSet]


def readable_sets(user) -> QuerySet[ImageSet]:
    return ImageSet.objects.filter(access.orm_filter(user, Action.READ_FILES))


def station_for(user, code: str) -> Station:
    """The station `code` with its sets `user` may read; NotVisible when none."""
    sets = one_per_concept(readable_sets(user).filter(station=code))
    if not sets:
        raise NotVisible(NO_STATION)
    return Station(code, sets)


def readable_stations(user) -> list[Station]:
    """Every station with a set `user` may read, by code, each with those sets."""
    found: dict[str, Station] = {}
    rows = readable_sets(user).exclude(station="")
    fields = ("pk", "uuid", "title", "station", "concept_uuid", "state", "published")
    for image_set in one_per_concept(rows.only(*fields)):
        station = found.setdefault(image_set.station, Station(image_set.station, []))
        station.sets.append(image_set)
    return sorted(found.values(), key=lambda station: station.code)


def one_per_concept(sets: QuerySet[ImageSet]) -> list[ImageSet]:
    """Of each concept's versions among `sets`, the newest published one (else the
    newest draft), by title."""
    chosen: dict = {}
    for image_set in sets.order_by("-published", "-pk"):
        kept = chosen.get(image_set.concept_uuid)
        if kept is None or (kept.state != State.PUBLISHED and image_set.state == State.PUBLISHED):
            chosen[image_set.concept_uuid] = image_set
    return sorted(chosen.values(), key=lambda image_set: (image_set.title, image_set.pk))
