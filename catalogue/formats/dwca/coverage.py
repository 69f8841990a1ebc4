"""Where and when: the dates, places and depths of events and of images, in Darwin
Core's terms (ISO 8601 times in UTC, decimal degrees in WGS 84, metres positive down).

An area is written as OBIS asks: its centre, the distance to its corner as
`coordinateUncertaintyInMeters`, and its outline as `footprintWKT`. EcoTaxa's
`sample_lat` / `sample_lon` place a sample where its images have no position."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from catalogue import geometry
from catalogue.formats import common
from catalogue.formats.dwca.tables import DWC
from catalogue.models import Image, ImageSet

#: Which free EcoTaxa field names an image's sample, first found wins.
SAMPLE_FIELDS = ("sample_id", "sample_stationid")
EARTH_RADIUS_M = 6_371_000


def when(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def date_range(start: datetime | None, end: datetime | None) -> str:
    """An ISO 8601 date-time, or an interval when start and end differ."""
    if start is None:
        return ""
    if end is None or end == start:
        return when(start)
    return f"{when(start)}/{when(end)}"


def image_depths(image: Image) -> tuple[float | None, float | None]:
    fields = image.fields or {}
    low, high = fields.get("depth_min"), fields.get("depth_max")
    if isinstance(low, int | float) or isinstance(high, int | float):
        return low, high
    return image.depth, image.depth


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _place(box: tuple[float, float, float, float] | None, wkt: str = "") -> dict[str, object]:
    """A point, or a box's centre with the distance to its corner as uncertainty and
    its outline (or `wkt`) as footprint, as OBIS asks of an area."""
    if box is None:
        return {}
    west, south, east, north = box
    lat, lon = (south + north) / 2, (west + east) / 2
    out: dict[str, object] = {
        DWC + "decimalLatitude": round(lat, 6),
        DWC + "decimalLongitude": round(lon, 6),
        DWC + "geodeticDatum": "EPSG:4326",
    }
    if (west, south) != (east, north):
        out[DWC + "coordinateUncertaintyInMeters"] = math.ceil(_distance_m(lat, lon, north, east))
        out[DWC + "footprintWKT"] = wkt or geometry.bbox_wkt([west, south, east, north])
    return out


def span(images: list[Image]) -> dict[str, object]:
    """Date, place and depths that cover a group of images."""
    times = sorted(i.captured_at for i in images if i.captured_at)
    points = [
        (i.longitude, i.latitude)
        for i in images
        if i.latitude is not None and i.longitude is not None
    ]
    depths = [d for i in images for d in image_depths(i) if isinstance(d, int | float)]
    out: dict[str, object] = {
        DWC + "eventDate": date_range(times[0], times[-1]) if times else "",
        DWC + "minimumDepthInMeters": min(depths) if depths else None,
        DWC + "maximumDepthInMeters": max(depths) if depths else None,
    }
    if points:
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        out.update(_place((min(lons), min(lats), max(lons), max(lats))))
    return out


def set_span(s: ImageSet, images: list[Image]) -> dict[str, object]:
    """The set's own coverage, each part falling back to what its images span."""
    out = span(images)
    if s.time_start:
        out[DWC + "eventDate"] = date_range(s.time_start, s.time_end)
    if s.depth_min is not None or s.depth_max is not None:
        out[DWC + "minimumDepthInMeters"] = s.depth_min
        out[DWC + "maximumDepthInMeters"] = s.depth_max
    box = common.bbox(s)
    if box is not None:
        for term in ("coordinateUncertaintyInMeters", "footprintWKT"):
            out.pop(DWC + term, None)
        wkt = geometry.polygon_wkt(geometry.outer_ring(s.polygon)) if s.polygon else ""
        out.update(_place(box, wkt))
    return out


def sample_name(image: Image) -> str:
    fields = image.fields or {}
    for key in SAMPLE_FIELDS:
        value = fields.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def _sample_place(images: list[Image]) -> dict[str, object]:
    """A sample's position as EcoTaxa gives it (sample_lat, sample_lon), when it does."""
    fields = images[0].fields or {}
    lat, lon = _number(fields.get("sample_lat")), _number(fields.get("sample_lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return {}
    return _place((lon, lat, lon, lat))


def sample_span(images: list[Image]) -> dict[str, object]:
    """What a sample's images span, at the sample's own position when it has one."""
    out = span(images)
    if place := _sample_place(images):
        for term in ("coordinateUncertaintyInMeters", "footprintWKT"):
            out.pop(DWC + term, None)
        out.update(place)
    return out


def image_where(image: Image) -> dict[str, object]:
    low, high = image_depths(image)
    located = image.latitude is not None and image.longitude is not None
    return {
        DWC + "eventDate": when(image.captured_at) if image.captured_at else "",
        DWC + "decimalLatitude": image.latitude if located else None,
        DWC + "decimalLongitude": image.longitude if located else None,
        DWC + "minimumDepthInMeters": low,
        DWC + "maximumDepthInMeters": high,
    }
