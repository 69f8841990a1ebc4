"""A set's coverage and empty fields filled from what its images and sidecars say.

`refresh_coverage` derives the area (bounding box, and an outline where images
have footprints), time span and depth range from the images where the set
states none; `apply_set_metadata` fills the set's empty
fields from a sidecar header. Both are internal steps of a write whose access
was already checked (an ingest, `update_image_set`), so they take no actor.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Min

from catalogue import geometry
from catalogue.models import ImageSet
from catalogue.vocabularies import licences, nvs

# Set fields a sidecar header may fill when the set leaves them empty.
SET_FIELDS_FROM_SIDECAR = (
    "title",
    "description",
    "licence",
    "platform",
    "instrument",
    "creators",
    "keywords",
)
# The coverage parts and the set fields each one fills ("bbox" is the area: its box
# and outline; a curator who states either states the area).
COVERAGE_FIELDS = {
    "bbox": ("west", "south", "east", "north", "polygon"),
    "time": ("time_start", "time_end"),
    "depth": ("depth_min", "depth_max"),
}


def apply_set_metadata(image_set: ImageSet, fields: dict[str, Any]) -> None:
    """Fill the set's empty fields from a sidecar header; stated fields are kept.

    No actor: an internal step of an ingest whose access was already checked.
    """
    updates = {}
    for field_name in SET_FIELDS_FROM_SIDECAR:
        value = fields.get(field_name)
        if isinstance(value, dict):  # iFDO gives {"name", "uri"}
            value = value.get("name")
        if field_name == "licence" and value not in licences():
            continue
        if field_name == "creators" and value:
            value = [{k: c[k] for k in ("name", "orcid") if c.get(k)} for c in value]
        if value and not getattr(image_set, field_name):
            updates[field_name] = value
    updates.update(term_uris(image_set, fields, updates))
    if updates:
        for field_name, value in updates.items():
            setattr(image_set, field_name, value)
        image_set.full_clean()
        image_set.save(update_fields=[*updates, "updated"])


def term_uris(image_set: ImageSet, fields: dict[str, Any], updates: dict[str, Any]) -> dict:
    """The NVS URIs of the platform and instrument the header names, where the set
    has none and names the same thing: the header's, if the field takes it, or,
    for a name that is exactly a term's label, that term's (as the API does)."""
    found = {}
    for kind in nvs.KINDS.values():
        value = fields.get(kind.label_field)
        if getattr(image_set, kind.uri_field) or not value:
            continue
        named = value if isinstance(value, dict) else {"name": value}
        name, uri = named.get("name"), named.get("uri")
        current = updates.get(kind.label_field, getattr(image_set, kind.label_field))
        if not isinstance(name, str) or current.strip().lower() != name.strip().lower():
            continue  # the set names another platform or instrument: its choice stands
        try:  # a reader may pass any uri on: only a term the field takes is kept
            uri = nvs.check_uri(kind, uri) if uri else nvs.term_for_label(kind, name)
        except nvs.TermError:
            continue
        if uri:
            found[kind.uri_field] = uri
    return found


def refresh_coverage(image_set: ImageSet) -> None:
    """Derive area, time span and depth range from the images where the set states none.

    No actor: called by writes whose access was already checked (an ingest,
    `update_image_set`). The caller bumps the revision and queues the set for
    indexing.
    """
    stats = image_set.images.aggregate(
        time_start=Min("captured_at"),
        time_end=Max("captured_at"),
        depth_min=Min("depth"),
        depth_max=Max("depth"),
    )
    found: dict[str, dict[str, Any] | None] = {"bbox": image_area(image_set)}
    for part in ("time", "depth"):
        span = {n: stats[n] for n in COVERAGE_FIELDS[part]}
        found[part] = None if None in span.values() else span
    derived = set(image_set.derived_coverage)
    changed: list[str] = []
    for part, names in COVERAGE_FIELDS.items():
        stated = any(getattr(image_set, n) is not None for n in names) and part not in derived
        values = found[part]
        if stated or values is None:
            continue
        for field_name in names:
            setattr(image_set, field_name, values[field_name])
        derived.add(part)
        changed.extend(names)
    if changed:
        image_set.derived_coverage = sorted(derived)
        image_set.save(update_fields=[*changed, "derived_coverage", "updated"])


def image_area(image_set: ImageSet) -> dict[str, Any] | None:
    """The box around the images' footprints and the positions of the others, and,
    where some have footprints, the convex outline of it all; None when no image is
    placed.

    The box is the shortest in longitude, so a scene split at the antimeridian gives
    west > east rather than a box round the globe; such a box gets no outline (a
    GeoJSON polygon cannot cross the antimeridian). Positions of images without a
    footprint count as their box, as before footprints.
    """
    placed = image_set.images.filter(
        footprint__isnull=True, latitude__isnull=False, longitude__isnull=False
    ).aggregate(
        west=Min("longitude"), east=Max("longitude"), south=Min("latitude"), north=Max("latitude")
    )
    outer_rings = [
        rings[0]
        for footprint in image_set.images.filter(footprint__isnull=False)
        .values_list("footprint", flat=True)
        .iterator()
        for rings in footprint_parts(footprint)
    ]
    boxes = [geometry.ring_bounds(ring) for ring in outer_rings]
    if placed["west"] is not None:
        boxes.append((placed["west"], placed["south"], placed["east"], placed["north"]))
    span = geometry.longitude_span((box[0], box[2]) for box in boxes)
    if span is None:
        return None
    west, east = span
    area: dict[str, Any] = {
        "west": west,
        "south": min(box[1] for box in boxes),
        "east": east,
        "north": max(box[3] for box in boxes),
        "polygon": None,
    }
    if outer_rings and west <= east:
        corners = geometry.bbox_ring(boxes[-1])[:4] if placed["west"] is not None else []
        hull = geometry.convex_hull([*corners, *(p for ring in outer_rings for p in ring)])
        if hull:
            area["polygon"] = {"type": "Polygon", "coordinates": [[list(p) for p in hull]]}
    return area


def footprint_parts(footprint: object) -> list[list[list[tuple[float, float]]]]:
    """The polygons of a stored footprint; none when it is not one (footprints are
    written by ingest only, so this is a guard, not a check)."""
    try:
        return geometry.polygon_parts(footprint)
    except geometry.GeometryError:
        return []
