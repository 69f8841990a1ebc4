"""A TIFF read through GDAL (rasterio): opened safely, limited, described.

GDAL is asked for the GeoTIFF driver only and never looks beside the file
(no .aux.xml, .ovr, world file or .msk is read from the spool directory); a
file's claimed size, band count and GCP count are checked against the limits
before a pixel is read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager

import rasterio
from django.conf import settings
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader

from catalogue.ingest.errors import IngestError

MAX_BANDS = 64  # hyperspectral cubes beyond this are not images we catalogue
MAX_SAMPLES_PER_PIXEL_LIMIT = 4  # samples of all bands: as an RGBA image at the pixel limit
MAX_GCPS = 2_500  # a Sentinel-1 GRD scene carries a few hundred
# GDAL reads only the file it is given, stops at corrupt data instead of
# returning what it could, and keeps at most 64 MB of decoded blocks: a scene
# averaged down block by block is read in bounded memory (decimated.py), where
# GDAL's default (5% of the machine's memory) kept most of a large scene.
GDAL_OPTIONS = {
    "GDAL_CACHEMAX": 64 * 1024**2,  # bytes, as rasterio passes it to GDALSetCacheMax
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_PAM_ENABLED": "NO",
    "GTIFF_REPORT_COMPD_CS": "NO",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": "none",
}
# Pillow shows these as they are; anything else a TIFF holds goes through GDAL.
PILLOW_LAYOUTS = {(1, "uint8"), (3, "uint8"), (4, "uint8"), (1, "uint16"), (1, "float32")}


@contextmanager
def opened_tiff(path: str) -> Iterator[DatasetReader | None]:
    """The TIFF opened by GDAL's GeoTIFF driver, or None when GDAL cannot open it
    (Pillow's path then names the problem, as for any TIFF)."""
    with rasterio.Env(**GDAL_OPTIONS):
        try:
            dataset = rasterio.open(path, driver="GTiff")
        except RasterioError:
            yield None
            return
        with dataset:
            yield dataset


def needs_gdal(dataset: DatasetReader) -> bool:
    """Is it a raster Pillow would not place or show: georeferenced, or of bands
    and sample types beyond 8-bit grey/RGB(A) and single 16-bit or float grey?
    A file past the pixel limit comes here too, to be refused by its claimed size."""
    if dataset.width * dataset.height > settings.INGEST_MAX_PIXELS:
        return True
    gcps, _ = dataset.gcps
    placed = (dataset.crs is not None and not dataset.transform.is_identity) or bool(gcps)
    layout = (dataset.count, dataset.dtypes[0] if dataset.count else "")
    same_type = len(set(dataset.dtypes)) == 1
    return placed or dataset.rpcs is not None or not same_type or layout not in PILLOW_LAYOUTS


def check_limits(dataset: DatasetReader, name: str) -> None:
    """Refuse a file whose claims are past the limits, all reasons at once.

    GDAL reads a scene in bounded memory, so its pixel limit is GEORASTER_MAX_PIXELS
    (a Sentinel-1 GRD scene has some 430 million), not Pillow's INGEST_MAX_PIXELS;
    it still bounds the decoding time of a scene without overviews."""
    problems = []
    pixels = dataset.width * dataset.height
    limit = settings.GEORASTER_MAX_PIXELS
    if pixels > limit:
        problems.append(
            f"{dataset.width}x{dataset.height} = {pixels:,} pixels, over the limit of {limit:,}"
        )
    # Every sample is decoded once at least: a cube of many bands counts for all of them.
    samples = pixels * dataset.count
    if dataset.count > 1 and samples > MAX_SAMPLES_PER_PIXEL_LIMIT * limit:
        problems.append(
            f"{samples:,} samples of {dataset.count} bands, over the limit of "
            f"{MAX_SAMPLES_PER_PIXEL_LIMIT * limit:,}"
        )
    if dataset.count > MAX_BANDS:
        problems.append(f"{dataset.count} bands, over the limit of {MAX_BANDS}")
    if dataset.count == 0:
        problems.append("no bands")
    gcps = len(dataset.gcps[0])
    if gcps > MAX_GCPS:
        problems.append(f"{gcps:,} ground control points, over the limit of {MAX_GCPS:,}")
    if problems:
        raise IngestError(name, "refused: " + "; ".join(problems))


def band_descriptions(dataset: DatasetReader) -> list[dict]:
    """Each band's description, sample type, nodata, colour and units, as GDAL read them."""
    bands = []
    for index in range(dataset.count):
        bands.append(
            {
                "description": dataset.descriptions[index] or "",
                "dtype": dataset.dtypes[index],
                "nodata": json_number(dataset.nodatavals[index]),
                "colour": dataset.colorinterp[index].name,
                "units": dataset.units[index] or "",
            }
        )
    return bands


# The authority code of the whole CRS closes its WKT1: ...,AUTHORITY["EPSG","32612"]]
TOP_AUTHORITY = re.compile(r'AUTHORITY\["EPSG","(\d+)"\]\]$')
NAME = re.compile(r'^[A-Z_]+\["([^"]*)"')


def crs_description(crs: CRS | None) -> dict:
    """The CRS as "EPSG:n" when its WKT says so, else its WKT, and its name. Read from
    the WKT: asking PROJ to identify a CRS without a code takes a large part of a
    second (a search of its whole database)."""
    if crs is None:
        return {"crs": None}
    wkt = crs.to_wkt()
    code = TOP_AUTHORITY.search(wkt)
    name = NAME.search(wkt)
    return {
        "crs": f"EPSG:{code.group(1)}" if code else wkt,
        "crs_name": name.group(1) if name else "",
    }


def json_number(value: float | None) -> float | str | None:
    """A number JSON can carry (NaN and infinities as their names)."""
    if value is None or math.isfinite(value):
        return value
    return str(value)
