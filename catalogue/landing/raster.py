"""A georeferenced or multiband raster described in words for the landing page's
lightbox: its footprint's extent, its bands, how its thumbnail was scaled and read."""

from __future__ import annotations

from catalogue import geometry
from catalogue.models import Image

SCALING_WORDS = {
    "percentile": "stretched between percentiles {low:g} and {high:g}",
    "decibel-percentile": "in decibels, stretched between percentiles {low:g} and {high:g}",
}


def raster_facts(image: Image) -> list[list[str]]:
    """[term, value] rows (none for a photograph)."""
    raster = image.raster if isinstance(image.raster, dict) else {}
    if not raster:
        return []
    facts = []
    if image.footprint:
        try:
            west, south, east, north = geometry.polygons_bounds(
                geometry.polygon_parts(image.footprint)
            )
        except geometry.GeometryError:
            west = None
        if west is not None:
            facts.append(["Footprint", f"{lat(south)} to {lat(north)}, {lon(west)} to {lon(east)}"])
    bands = raster.get("bands") or []
    if bands:
        names = [band.get("description") or band.get("colour") or "" for band in bands]
        dtypes = sorted({band.get("dtype", "") for band in bands})
        facts.append(["Bands", f"{len(bands)} x {'/'.join(dtypes)}: {', '.join(names)}"])
    scaling = raster.get("scaling") or {}
    words = SCALING_WORDS.get(scaling.get("method", ""))
    if words:
        low, high = scaling.get("percentiles") or [0, 100]
        facts.append(["Thumbnail", words.format(low=low, high=high)])
    read = read_words(raster.get("read") or {})
    if read:
        facts.append(["Read", read])
    crs = raster.get("crs_name") or raster.get("crs") or raster.get("gcp_crs")
    if crs:
        facts.append(["CRS", str(crs)[:80]])
    return facts


def read_words(read: dict) -> str:
    """How the thumbnail's pixels were read: from an overview or the full resolution."""
    shape = read.get("shape") or []
    size = f" to {shape[1]} x {shape[0]} px" if len(shape) == 2 else ""
    if read.get("from") == "overview":
        return f"averaged from the file's 1:{read.get('overview_factor')} overview{size}"
    if read.get("from") == "full resolution":
        return f"averaged from full resolution{size}"
    return ""


def lat(value: float) -> str:
    return f"{abs(value):.3f}° {'N' if value >= 0 else 'S'}"


def lon(value: float) -> str:
    return f"{abs(value):.3f}° {'E' if value >= 0 else 'W'}"
