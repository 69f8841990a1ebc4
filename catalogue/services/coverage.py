"""A set's coverage and empty fields filled from what its images and sidecars say.

`refresh_coverage` derives bounding box, time span and depth range from the
images where the set states none; `apply_set_metadata` fills the set's empty
fields from a sidecar header. Both are internal steps of a write whose access
was already checked (an ingest, `update_image_set`), so they take no actor.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Min

from catalogue.models import ImageSet
from catalogue.vocabularies import licences

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
# The coverage parts and the set fields each one fills.
COVERAGE_FIELDS = {
    "bbox": ("west", "south", "east", "north"),
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
    if updates:
        for field_name, value in updates.items():
            setattr(image_set, field_name, value)
        image_set.full_clean()
        image_set.save(update_fields=[*updates, "updated"])


def refresh_coverage(image_set: ImageSet) -> None:
    """Derive bbox, time span and depth range from the images where the set states none.

    No actor: called by writes whose access was already checked (an ingest,
    `update_image_set`). The caller bumps the revision and queues the set for
    indexing.
    """
    stats = image_set.images.aggregate(
        west=Min("longitude"),
        east=Max("longitude"),
        south=Min("latitude"),
        north=Max("latitude"),
        time_start=Min("captured_at"),
        time_end=Max("captured_at"),
        depth_min=Min("depth"),
        depth_max=Max("depth"),
    )
    derived = set(image_set.derived_coverage)
    changed: list[str] = []
    for part, names in COVERAGE_FIELDS.items():
        stated = any(getattr(image_set, n) is not None for n in names) and part not in derived
        if stated or any(stats[n] is None for n in names):
            continue
        for field_name in names:
            setattr(image_set, field_name, stats[field_name])
        derived.add(part)
        changed.extend(names)
    if changed:
        image_set.derived_coverage = sorted(derived)
        image_set.save(update_fields=[*changed, "derived_coverage", "updated"])
