"""One georeferenced or multiband TIFF into a ProcessedImage (see the package)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from PIL import Image
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader

from catalogue.ingest import imaging
from catalogue.ingest.errors import IngestError
from catalogue.ingest.georaster import decimated, footprint, reading, scaling

# Pillow's names for the single-band layouts it knows; other layouts are named "<bands>x<type>".
PILLOW_MODES = {"uint8": "L", "uint16": "I;16", "int32": "I", "float32": "F"}


def process_raster(path: str, name: str, media_type: str) -> imaging.ProcessedImage | None:
    """Check, place, describe and make the thumbnails of one raster; None when the
    file is one for Pillow: not a TIFF, a TIFF Pillow shows as it is and that is not
    placed on the Earth, or one GDAL cannot open."""
    if media_type != "image/tiff":
        return None
    with reading.opened_tiff(path) as dataset:
        if dataset is None or not reading.needs_gdal(dataset):
            return None
        return describe(dataset, name, media_type)


def describe(dataset: DatasetReader, name: str, media_type: str) -> imaging.ProcessedImage:
    reading.check_limits(dataset, name)
    try:
        placed = footprint.footprint(dataset)
    except ValueError as error:
        raise IngestError(name, str(error)) from error
    try:
        shown, scale, read = display(dataset)
    except (RasterioError, MemoryError) as error:
        raise IngestError(name, f"corrupt or truncated raster: {error}") from error
    raster = {
        "driver": dataset.driver,
        **reading.crs_description(dataset.crs),
        "bands": reading.band_descriptions(dataset),
        "scaling": scale,
        "read": read,
    }
    if placed is not None:
        raster["georeferencing"] = placed.method
    if placed is not None and placed.method == "transform":
        raster["transform"] = list(dataset.transform)[:6]
    if placed is not None and placed.method == "gcps":
        raster["gcp_count"] = len(dataset.gcps[0])
        raster["gcp_crs"] = reading.crs_description(dataset.gcps[1])["crs"]
    result = imaging.ProcessedImage(
        media_type=media_type,
        width=dataset.width,
        height=dataset.height,
        frames=1,
        mode=mode_name(dataset),
        captured_at=tiff_time(dataset.tags().get("TIFFTAG_DATETIME", "")),
        footprint=placed.geojson if placed else None,
        raster=raster,
    )
    if placed is not None:
        result.longitude, result.latitude = placed.centre
    result.thumbnails = imaging.make_thumbnails(shown)
    return result


def display(dataset: DatasetReader) -> tuple[Image.Image, dict, dict]:
    """The bands to show, read at thumbnail size (decimated.py), as an 8-bit Pillow
    image; the scaling applied, its percentiles taken over that reduced read; how
    the pixels were read."""
    colours = [colour.name for colour in dataset.colorinterp]
    bands = scaling.band_choice(colours, dataset.count)
    shown = decimated.read_shown(dataset, bands, max(imaging.THUMBNAIL_SIZES.values()))
    dtypes = {dataset.dtypes[index - 1] for index in bands}
    scale: dict[str, Any]
    if dtypes == {"uint8"}:
        pixels, scale = np.ma.filled(shown.data, 0).astype(np.uint8), {"method": "none"}
    else:
        pixels, scale = scaling.stretch(shown.data, decibels=radar_amplitude(dataset))
    scale["bands"] = bands
    if len(bands) == 1:
        return Image.fromarray(pixels[0], "L"), scale, shown.read
    picture = Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0)), "RGB")
    return picture, scale, shown.read


def radar_amplitude(dataset: DatasetReader) -> bool:
    """Shown in decibels: complex samples (single-look complex radar), or one integer
    band placed by GCPs, the layout radar scenes in slant or ground range geometry
    come in (Sentinel-1 GRD measurement files: one uint16 amplitude band, GCPs)."""
    dtype = np.dtype(dataset.dtypes[0]) if dataset.dtypes[0] != "complex_int16" else None
    if dtype is None or dtype.kind == "c":
        return True
    return dataset.count == 1 and dtype.kind in "ui" and bool(dataset.gcps[0])


def mode_name(dataset: DatasetReader) -> str:
    dtype = dataset.dtypes[0]
    if dataset.count == 1 and dtype in PILLOW_MODES:
        return PILLOW_MODES[dtype]
    return f"{dataset.count}x{dtype}"[:16]


def tiff_time(text: str) -> datetime | None:
    """TIFF DateTime ("YYYY:MM:DD HH:MM:SS", no zone: taken as UTC), else None."""
    try:
        return datetime.strptime(text.strip()[:19], "%Y:%m:%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
