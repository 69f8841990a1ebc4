"""Where, when and how deep a set was taken, as its landing page shows it: the
coverage in words and the footprint and image positions for the map."""

from __future__ import annotations

from typing import cast

from catalogue import geometry
from catalogue.formats import common
from catalogue.models import ImageSet

#: At most this many image positions are drawn on the coverage map.
MAP_POINTS = 1000


def _number(value: float) -> str:
    return f"{value:g}"


DERIVED_LABELS = {"bbox": "area", "time": "time", "depth": "depth"}


def coverage(image_set: ImageSet) -> dict:
    bbox = None
    box = common.bbox(image_set)
    if box is not None:
        w, s, e, n = box
        bbox = f"{_degrees(s, 'N', 'S')}, {_degrees(w, 'E', 'W')} to {_degrees(n, 'N', 'S')}, "
        bbox += _degrees(e, "E", "W")
    depth = None
    if image_set.depth_min is not None or image_set.depth_max is not None:
        low, high = image_set.depth_min, image_set.depth_max
        single = low if low is not None else high
        if low is not None and high is not None and low != high:
            depth = f"{_number(low)}\u2013{_number(high)} m"
        elif single is not None:  # always, as one of the two is set
            depth = f"{_number(single)} m"
    return {
        "bbox": bbox,
        "polygon": bool(image_set.polygon),
        "time_start": image_set.time_start,
        "time_end": image_set.time_end,
        "depth": depth,
        "derived": [DERIVED_LABELS.get(p, p) for p in image_set.derived_coverage or []],
    }


def _degrees(value: float, positive: str, negative: str) -> str:
    return f"{abs(value):.3f}° {positive if value >= 0 else negative}"


def map_data(image_set: ImageSet) -> dict:
    """The footprint and up to MAP_POINTS image positions, for map.js."""
    # The stubs type the nullable fields as float | None; the filter excludes None.
    points = cast(
        list[tuple[float, float]],
        list(
            image_set.images.filter(latitude__isnull=False, longitude__isnull=False)
            .order_by("pk")
            .values_list("longitude", "latitude")[:MAP_POINTS]
        ),
    )
    box = common.bbox(image_set)
    return {
        "bbox": list(box) if box is not None else None,
        "polygon": [list(p) for p in geometry.outer_ring(image_set.polygon)] or None,
        "points": [[round(lon, 6), round(lat, 6)] for lon, lat in points],
        "points_capped": len(points) == MAP_POINTS,
    }
