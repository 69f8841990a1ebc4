"""The pixels a raster's thumbnails and display statistics are made from: the
shown bands read at thumbnail size, never the whole scene held in memory.

- A file with its own overviews is read from the most reduced one that is still
  at least as fine as the thumbnail (GDAL's `OVERVIEW_LEVEL=n only`), averaged
  down from there: a Sentinel-1 scene of 400 megapixels with overviews decodes a
  few megapixels.
- A file without overviews is read at full resolution, averaged down by GDAL
  block by block; GDAL's block cache is bounded (reading.GDAL_OPTIONS), so memory
  stays near that bound whatever the scene's size.
- Masks come from the bands' nodata values where that is what GDAL's mask is
  (averaging leaves nodata only where every averaged pixel was nodata), so the
  bands are not decoded a second time for their masks; per-dataset masks and
  alpha are read at the same reduced size.

Reading every full-resolution block also proves the file whole. When the pixels
come from overviews instead, the full resolution is decoded once more (GDAL's
checksum) for that proof only up to FULL_CHECK_MAX_PIXELS; past it, the record
says the full resolution was not decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
from rasterio.enums import MaskFlags, Resampling
from rasterio.io import DatasetReader

FULL_CHECK_MAX_PIXELS = 50_000_000  # about half a second of decoding


@dataclass
class Decimated:
    data: np.ma.MaskedArray  # (bands, rows, cols)
    read: dict[str, Any]  # how it was read: kept in Image.raster["read"]


def read_shown(dataset: DatasetReader, bands: list[int], side: int) -> Decimated:
    """`bands` (1-based) averaged down to at most `side` pixels a side, masked."""
    factor = max(1.0, max(dataset.width, dataset.height) / side)
    shape = (
        len(bands),
        max(1, round(dataset.height / factor)),
        max(1, round(dataset.width / factor)),
    )
    overviews = dataset.overviews(bands[0])
    usable = [index for index, reduction in enumerate(overviews) if reduction <= factor]
    read: dict[str, Any] = {"resampling": "average", "shape": list(shape[1:])}
    if overviews:
        read["overviews"] = overviews
    if not usable:
        read |= {"from": "full resolution", "full_resolution_decoded": True}
        return Decimated(masked_read(dataset, bands, shape), read)
    level = usable[-1]
    decoded = dataset.width * dataset.height <= FULL_CHECK_MAX_PIXELS
    if decoded:
        for index in dataset.indexes:
            dataset.checksum(index)
    read |= {
        "from": "overview",
        "overview_factor": overviews[level],
        "full_resolution_decoded": decoded,
    }
    # Opened inside the caller's rasterio.Env: the same GDAL options apply.
    with rasterio.open(dataset.name, driver="GTiff", OVERVIEW_LEVEL=f"{level} only") as reduced:
        return Decimated(masked_read(reduced, bands, shape), read)


def masked_read(
    source: DatasetReader, bands: list[int], shape: tuple[int, int, int]
) -> np.ma.MaskedArray:
    data = source.read(bands, out_shape=shape, resampling=Resampling.average)
    flags = [source.mask_flag_enums[band - 1] for band in bands]
    if all(MaskFlags.all_valid in flag for flag in flags):
        mask = np.zeros(data.shape, dtype=bool)
    elif all(MaskFlags.nodata in flag for flag in flags):
        nodata = [source.nodatavals[band - 1] for band in bands]
        mask = np.stack(
            [nodata_mask(band, value) for band, value in zip(data, nodata, strict=True)]
        )
    else:
        mask = source.read_masks(bands, out_shape=shape, resampling=Resampling.nearest) == 0
    colours = [colour.name for colour in source.colorinterp]
    if "alpha" in colours:
        alpha = source.read(colours.index("alpha") + 1, out_shape=shape[1:])
        mask |= alpha == 0
    return np.ma.MaskedArray(data, mask=mask)


def nodata_mask(band: np.ndarray, nodata: float) -> np.ndarray:
    if np.isnan(nodata):
        return np.isnan(band) if band.dtype.kind in "fc" else np.zeros(band.shape, dtype=bool)
    return band == nodata
