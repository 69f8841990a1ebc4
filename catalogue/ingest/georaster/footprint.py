"""A raster's ground footprint in WGS 84, from its own georeferencing.

The outline of the pixel grid (every edge densified, so a curved projection or a
GCP warp keeps its shape) is taken to longitude/latitude through the geotransform
and CRS, the GCPs or the RPCs that GDAL read. Points that have no place on the
Earth (a geostationary disk's corners) are dropped. A ring that crosses the
antimeridian is unwrapped and split there into two polygons, so every polygon
stays within [-180, 180] as catalogue.geometry and the search engines expect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import shapely
from rasterio._err import CPLE_BaseError  # what a failed PROJ transformation raises
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rasterio.transform import xy as pixel_xy
from rasterio.warp import transform as warp_points

from catalogue import geometry

WGS84 = CRS.from_epsg(4326)
POINTS_PER_EDGE = 16
DECIMALS = 6  # about 0.1 m on the ground


@dataclass(frozen=True)
class Footprint:
    geojson: dict  # a GeoJSON Polygon or MultiPolygon, WGS 84
    centre: tuple[float, float]  # [lon, lat] of the grid's middle pixel
    method: str  # "transform" | "gcps" | "rpcs"


def georeferencing(dataset: DatasetReader) -> str | None:
    """How the dataset is placed on the Earth, if it is: what GDAL read from it."""
    if dataset.rpcs is not None:
        return "rpcs"
    gcps, gcp_crs = dataset.gcps
    if gcps and gcp_crs is not None:
        return "gcps"
    if dataset.crs is not None and not dataset.transform.is_identity:
        return "transform"
    return None


def outline(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns around the grid's outer edge, clockwise from the top left, closed."""
    steps = np.linspace(0.0, 1.0, POINTS_PER_EDGE, endpoint=False)
    cols = np.concatenate([steps * width, np.full_like(steps, width), (1 - steps) * width])
    rows = np.concatenate([np.zeros_like(steps), steps * height, np.full_like(steps, height)])
    cols = np.concatenate([cols, np.zeros_like(steps), [0.0]])
    rows = np.concatenate([rows, (1 - steps) * height, [0.0]])
    return rows, cols


def to_lonlat(dataset: DatasetReader, method: str, rows, cols) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions (corners of pixels: offset "ul") as longitudes and latitudes."""
    if method == "rpcs":  # RPCs give longitude and latitude directly
        lons, lats = pixel_xy(dataset.rpcs, rows, cols, offset="ul")
        return np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    if method == "gcps":
        gcps, crs = dataset.gcps
        xs, ys = pixel_xy(gcps, rows, cols, offset="ul")
    else:
        crs = dataset.crs
        xs, ys = pixel_xy(dataset.transform, rows, cols, offset="ul")
    return to_wgs84(crs, np.ravel(xs), np.ravel(ys))


def to_wgs84(crs, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points of `crs` in WGS 84; a point PROJ cannot place (off a geostationary
    disk) becomes NaN instead of failing the others."""
    try:
        lons, lats = warp_points(crs, WGS84, list(xs), list(ys))
        return np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    except CPLE_BaseError:
        pass
    placed = np.full((2, len(xs)), np.nan)
    for index, (x, y) in enumerate(zip(xs, ys, strict=True)):
        try:
            (lon,), (lat,) = warp_points(crs, WGS84, [x], [y])
        except CPLE_BaseError:
            continue
        placed[:, index] = lon, lat
    return placed[0], placed[1]


def unwrap(lons: np.ndarray) -> np.ndarray:
    """Longitudes made continuous along the ring (a step over 180 degrees goes the
    short way round), so a ring across the antimeridian leaves [-180, 180]."""
    steps = np.diff(lons)
    steps = (steps + 180.0) % 360.0 - 180.0
    return np.concatenate([[lons[0]], lons[0] + np.cumsum(steps)])


def outline_polygon(lons: np.ndarray, lats: np.ndarray) -> shapely.Polygon:
    """The unwrapped outline as a polygon. An outline that goes once round a pole
    (its longitudes end a full turn from where they began) is closed over that pole."""
    if abs(lons[-1] - lons[0]) > 180.0:
        pole = 90.0 if lats.mean() > 0 else -90.0
        lons = np.concatenate([lons, [lons[-1], lons[0]]])
        lats = np.concatenate([lats, [pole, pole]])
    return shapely.Polygon(zip(lons, lats, strict=True))


def split_at_antimeridian(ring: shapely.Polygon) -> list[shapely.Polygon]:
    """The ring's parts within [-180, 180], those beyond it shifted by 360 degrees."""
    parts = []
    for shift in (-360.0, 0.0, 360.0):
        moved = shapely.affinity.translate(ring, xoff=shift) if shift else ring
        clipped = shapely.clip_by_rect(moved, -180.0, -90.0, 180.0, 90.0)
        parts += [part for part in getattr(clipped, "geoms", [clipped]) if part.area > 0]
    return [part for part in parts if isinstance(part, shapely.Polygon)]


def as_geojson(polygons: list[shapely.Polygon]) -> dict:
    """Counter-clockwise outer rings, rounded, closed: what catalogue.geometry reads."""
    parts = []
    for polygon in polygons:
        rounded = [(round(x, DECIMALS), round(y, DECIMALS)) for x, y in polygon.exterior.coords]
        # Rounding (and clipping) can leave a point twice in a row: once is enough.
        ring = [point for point, after in pairwise(rounded) if point != after]
        ring = geometry.oriented([*ring, ring[0]], counterclockwise=True)
        parts.append([[list(point) for point in ring]])
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": parts[0]}
    return {"type": "MultiPolygon", "coordinates": parts}


def footprint(dataset: DatasetReader) -> Footprint | None:
    """The dataset's footprint and centre in WGS 84, or None when it is not placed
    on the Earth (or too little of its outline is)."""
    method = georeferencing(dataset)
    if method is None:
        return None
    rows, cols = outline(dataset.width, dataset.height)
    try:
        lons, lats = to_lonlat(dataset, method, rows, cols)
        centre_lon, centre_lat = to_lonlat(
            dataset, method, np.array([dataset.height / 2]), np.array([dataset.width / 2])
        )
    except (RasterioError, CPLE_BaseError, ValueError) as error:
        raise ValueError(f"its georeferencing cannot be taken to WGS 84 ({error})") from error
    finite = np.isfinite(lons) & np.isfinite(lats) & (np.abs(lats) <= 90)
    lons, lats = lons[finite], lats[finite]
    if len(lons) < 4 or not (math.isfinite(centre_lon[0]) and math.isfinite(centre_lat[0])):
        return None
    ring = outline_polygon(unwrap(lons), lats)
    if not ring.is_valid:
        ring = shapely.make_valid(ring).convex_hull
    polygons = split_at_antimeridian(ring)
    if not polygons:
        return None
    centre = (((float(centre_lon[0]) + 180.0) % 360.0) - 180.0, float(centre_lat[0]))
    return Footprint(as_geojson(polygons), (round(centre[0], 6), round(centre[1], 6)), method)
