"""Rasters composed at test time with rasterio, and the real ones of data/.

The composed scenes stand for layouts the real files of data/ do not have:
    radar_like       one band of unsigned 16-bit amplitude with multiplicative
                     speckle (gamma distributed intensity, as single-look radar
                     has), placed by a 5 x 5 grid of GCPs in EPSG:4326 over the
                     southern North Sea, as Sentinel-1 GRD measurement files are
                     placed by GCPs
    across_180       a UTM zone 60N scene whose eastern part lies past the
                     antimeridian (the Pacific near 9 N, 178.8 E to 179.4 W)
    single_look      one band of complex 16-bit samples (single-look complex radar),
                     circular Gaussian of standard deviation 300 per part, placed by GCPs
    with_rpcs        a 791 x 718 grid carrying the real RPCs of data/RGB.byte.rpc.vrt
    over_the_pole    a polar stereographic scene (EPSG:3413) of the Arctic Ocean
                     around the North Pole, 1,000 km on a side
    truncated        the real Landsat GeoTIFF cut after 2,000 bytes
    huge_claim       a header claiming 100,000 x 100,000 pixels (sparse: no tile
                     is written)
    many_gcps        a small grid carrying 5,000 GCPs (GDAL writes at most 10,000
                     into a TIFF)
    large_scene      the real Landsat red band tiled (with a slow brightness ramp,
                     so no two tiles are alike) to a scene of any size, 16-bit,
                     placed by GCPs over the North Sea like a Sentinel-1 GRD
                     measurement file, with internal overviews or without; written
                     in strips of rows, so a 400-megapixel scene never sits in memory
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.transform import from_origin
from rasterio.windows import Window

DATA = Path(__file__).parent / "data"
LANDSAT = DATA / "rgb-byte-tenth.tif"  # Bahamas banks and the Atlantic, 79.0-76.6 W, 23.6-25.6 N
UINT16_RGBA = DATA / "RGBA.uint16.tif"
CORRUPT = DATA / "corrupt.tif"
RPC_SOURCE = DATA / "RGB.byte.rpc.vrt"
SENTINEL1_FULL_CLAIM = DATA / "s1b-iw-grd-vv-20210401.tiff"

# The radar-like scene's corners (lon, lat): a swath over the southern North Sea.
NORTH_SEA = {"west": 2.5, "east": 4.5, "south": 52.5, "north": 54.0}


def radar_like(path: Path, *, width: int = 400, height: int = 300, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    backscatter = np.full((height, width), 60.0)
    backscatter[:, width // 2 :] = 400.0  # a brighter half: rougher sea
    backscatter[100:140, 50:300] = 8.0  # a dark slick: damped capillary waves
    intensity = backscatter**2 * rng.gamma(shape=1.0, scale=1.0, size=(height, width))
    amplitude = np.clip(np.sqrt(intensity), 1, 65535).astype("uint16")
    amplitude[:, :10] = 0  # no data along the swath's edge, as GRD products have
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "uint16"}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(amplitude, 1)
        dataset.gcps = (north_sea_gcps(width, height), CRS.from_epsg(4326))
        dataset.set_band_description(1, "Amplitude_VV")
        dataset.update_tags(TIFFTAG_DATETIME="2021:04:01 05:26:23")
    return path


def north_sea_gcps(width: int, height: int) -> list[GroundControlPoint]:
    gcps = []
    for row in np.linspace(0, height, 5):
        for col in np.linspace(0, width, 5):
            lon = NORTH_SEA["west"] + (NORTH_SEA["east"] - NORTH_SEA["west"]) * col / width
            lat = NORTH_SEA["north"] - (NORTH_SEA["north"] - NORTH_SEA["south"]) * row / height
            gcps.append(GroundControlPoint(row=row, col=col, x=lon, y=lat, z=0.0))
    return gcps


def large_scene(path: Path, *, width: int, height: int, overviews: bool) -> Path:
    """One 16-bit band: the Landsat red band tiled, times a ramp from 1 (left) to 4
    (right); tiled 512 x 512, DEFLATE; overviews (2, 4, ... down to < 512 px, averaged)
    inside the file when asked for."""
    with rasterio.open(LANDSAT) as source:
        red = source.read(1).astype("uint32")
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "uint16",
        "nodata": 0,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    reps = (-(-512 // red.shape[0]) + 1, -(-width // red.shape[1]) + 1)
    tiled = np.tile(red, reps)
    ramp = (256 * (1 + 3 * np.arange(width) / width)).astype("uint32")
    with rasterio.open(path, "w", **profile) as dataset:
        for top in range(0, height, 512):
            rows = min(512, height - top)
            offset = top % red.shape[0]
            strip = tiled[offset : offset + rows, :width] * ramp
            dataset.write(
                np.clip(strip, 0, 65535).astype("uint16"), 1, window=Window(0, top, width, rows)
            )
        dataset.gcps = (north_sea_gcps(width, height), CRS.from_epsg(4326))
        dataset.set_band_description(1, "Amplitude_VV")
        if overviews:
            factors = [
                2**level for level in range(1, 16) if max(width, height) >> (level - 1) > 512
            ]
            dataset.build_overviews(factors, Resampling.average)
    return path


def across_180(path: Path) -> Path:
    """A 200 km square in UTM 60N: its west edge near 178.8 E, its east edge near 179.4 W."""
    profile = {
        "driver": "GTiff",
        "width": 100,
        "height": 100,
        "count": 1,
        "dtype": "uint8",
        "crs": CRS.from_epsg(32660),
        "transform": from_origin(700_000, 1_100_000, 2_000, 2_000),
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.arange(100 * 100, dtype="uint16").reshape(100, 100).astype("uint8"), 1)
    return path


def single_look(path: Path, *, width: int = 300, height: int = 200) -> Path:
    rng = np.random.default_rng(3)
    parts = rng.normal(scale=300, size=(2, 1, height, width))
    samples = (parts[0] + 1j * parts[1]).astype("complex64")
    corners = [(0, 0, 3.0, 54.0), (0, width, 4.0, 54.0), (height, 0, 3.0, 53.0)]
    gcps = [GroundControlPoint(row=r, col=c, x=x, y=y) for r, c, x, y in corners]
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1}
    with rasterio.open(path, "w", dtype="complex_int16", **profile) as dataset:
        dataset.write(samples)
        dataset.gcps = (gcps, CRS.from_epsg(4326))
    return path


def with_rpcs(path: Path) -> Path:
    with rasterio.open(RPC_SOURCE) as source:  # only its metadata: RGB.byte.tif is not here
        rpcs = source.rpcs
    profile = {"driver": "GTiff", "width": 791, "height": 718, "count": 1, "dtype": "uint8"}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.full((1, 718, 791), 90, dtype="uint8"))
        dataset.rpcs = rpcs
    return path


def truncated(path: Path) -> Path:
    """The real Landsat GeoTIFF cut after its first 2,000 bytes: tags that point past the end."""
    path.write_bytes(LANDSAT.read_bytes()[:2000])
    return path


def over_the_pole(path: Path) -> Path:
    profile = {
        "driver": "GTiff",
        "width": 100,
        "height": 100,
        "count": 1,
        "dtype": "uint8",
        "crs": CRS.from_epsg(3413),
        "transform": from_origin(-500_000, 500_000, 10_000, 10_000),
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.full((1, 100, 100), 200, dtype="uint8"))
    return path


def huge_claim(path: Path) -> Path:
    profile = {
        "driver": "GTiff",
        "width": 100_000,
        "height": 100_000,
        "count": 1,
        "dtype": "uint8",
        "tiled": True,
        "blockxsize": 4096,
        "blockysize": 4096,
        "sparse_ok": True,
        "crs": CRS.from_epsg(4326),
        "transform": from_origin(-10.0, 60.0, 0.0001, 0.0001),
    }
    with rasterio.open(path, "w", **profile):
        pass
    return path


def many_gcps(path: Path, count: int = 5_000) -> Path:
    side = 10
    gcps = [
        GroundControlPoint(row=i % side, col=i // side % side, x=i * 1e-6, y=50.0, z=0.0)
        for i in range(count)
    ]
    profile = {"driver": "GTiff", "width": side, "height": side, "count": 1, "dtype": "uint16"}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.ones((side, side), dtype="uint16"), 1)
        dataset.gcps = (gcps, CRS.from_epsg(4326))
    return path
