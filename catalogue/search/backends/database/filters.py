"""Which entries a query matches in the database index.

Visibility (catalogue.access.index_filter), keyword terms as IN subqueries of
SearchValue, overlapping time and depth ranges, full text through the vendor,
and the area: prefiltered in SQL by bounding box, then refined here, in
Python, on the real shapes (catalogue/geometry.py), so hits, totals and
facets are exact.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db.models import F, Q, QuerySet

from catalogue import access, geometry
from catalogue.access import Visibility
from catalogue.search.backends.database.vendor import Vendor
from catalogue.search.dbindex import SearchEntry, SearchValue
from catalogue.search.query import QueryError, SearchQuery

REFINE_CHUNK = 2000  # candidate rows read at a time when refining shapes


def matching(
    query: SearchQuery, visibility: Visibility, tokens: list[str], vendor: Vendor
) -> QuerySet:
    """The entries of the query's kind that the viewer may see and the query matches."""
    entries = SearchEntry.objects.filter(kind=query.kind).filter(access.index_filter(visibility))
    for doc_field, values in query.terms().items():
        if doc_field == "set_id":
            try:
                entries = entries.filter(set_id__in=[int(value) for value in values])
            except (TypeError, ValueError) as error:
                raise QueryError("image_set", "must be whole numbers") from error
        elif doc_field == "access":
            entries = entries.filter(access__in=[str(value) for value in values])
        else:
            matching_values = SearchValue.objects.filter(
                field=doc_field, value__in=[str(value) for value in values]
            ).values("entry_id")
            entries = entries.filter(id__in=matching_values)
    if query.has_annotations is not None:
        entries = entries.filter(has_annotations=query.has_annotations)
    # Ranges overlap; a missing end never matches (SQL NULL), as in the engines.
    if query.time_to is not None:
        entries = entries.filter(time_start__lte=aware(query.time_to))
    if query.time_from is not None:
        entries = entries.filter(time_end__gte=aware(query.time_from))
    if query.depth_max is not None:
        entries = entries.filter(depth_min__lte=query.depth_max)
    if query.depth_min is not None:
        entries = entries.filter(depth_max__gte=query.depth_min)
    if tokens:
        entries = entries.filter(vendor.matching(tokens))
    elif query.text.strip():
        # Only punctuation or stop words: nothing to match (as the engines).
        entries = entries.none()
    if query.bbox is not None:
        entries = meeting(entries, geometry.bbox_shape(query.bbox), vendor, refine_all=False)
    if query.polygon is not None:
        entries = meeting(entries, geometry.ring_shape(query.polygon), vendor, refine_all=True)
    return entries


def box_intersects(bbox) -> Q:
    """The entry's box intersects [west, south, east, north] (west <= east); an
    entry box with west > east crosses the antimeridian."""
    west, south, east, north = bbox
    latitudes = Q(west__isnull=False, south__lte=north, north__gte=south)
    plain = Q(west__lte=F("east")) & Q(west__lte=east, east__gte=west)
    crossing = Q(west__gt=F("east")) & (Q(west__lte=east) | Q(east__gte=west))
    return latitudes & (plain | crossing)


def meeting(
    entries: QuerySet, shape: geometry.Shape, vendor: Vendor, *, refine_all: bool
) -> QuerySet:
    """Entries whose coverage meets the shape: their extent meets its bounding box
    (SQL), then the real shapes are checked here, in Python. For a query box only
    polygon coverages need checking; for a query polygon, all."""
    entries = entries.filter(box_intersects(shape.extent))
    candidates = entries if refine_all else entries.filter(has_polygon=True)
    rows = candidates.values_list(
        "id", "west", "south", "east", "north", "has_polygon", "document__polygon"
    )
    outside = []
    for entry_id, *columns in rows.iterator(chunk_size=REFINE_CHUNK):
        coverage = entry_shape(*columns)
        if coverage is None or not coverage.intersects(shape):
            outside.append(entry_id)
    if outside:
        entries = entries.exclude(id__in=vendor.id_list(outside))
    return entries


def entry_shape(west, south, east, north, has_polygon: bool, polygon) -> geometry.Shape | None:
    """An entry's coverage, from its extent columns and its document's polygon."""
    if has_polygon:
        return geometry.polygon_shape(polygon)
    if west is None:
        return None
    if west == east and south == north:
        return geometry.point_shape([west, south])
    return geometry.bbox_shape([west, south, east, north])


def aware(moment):
    """A datetime with a time zone (UTC when it has none); a date is its midnight."""
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return moment
