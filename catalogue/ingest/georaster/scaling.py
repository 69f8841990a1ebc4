"""Display scaling of 16-bit, float and multiband rasters for thumbnails.

Bands are stretched between percentiles of their valid pixels (nodata, masked
and non-finite pixels left out), 2-98 by default, as remote-sensing viewers do;
radar amplitude (Sentinel-1 GRD and the like) spans decades and is shown in
decibels (20 log10 of the amplitude) before stretching. The scaling applied is
returned so it is recorded on the image: a reviewer can tell what the grey
levels of a thumbnail mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

LOW_PERCENT, HIGH_PERCENT = 2.0, 98.0


def band_choice(colour_names: list[str], count: int) -> list[int]:
    """The 1-based bands to show: red, green, blue when declared, else the first
    three of a multiband image, else the first (grey)."""
    declared = [colour_names.index(c) + 1 for c in ("red", "green", "blue") if c in colour_names]
    if len(declared) == 3:
        return declared
    return [1, 2, 3] if count >= 3 else [1]


def stretch(data: np.ma.MaskedArray, *, decibels: bool) -> tuple[np.ndarray, dict[str, Any]]:
    """8-bit bands (bands, rows, cols) and the scaling that made them."""
    # Complex samples (single-look complex radar): their amplitude.
    values = np.ma.abs(data).astype("float64") if np.iscomplexobj(data) else data.astype("float64")
    if decibels:
        # Zero amplitude is no signal (nodata in GRD products): masked, not -inf.
        values = np.ma.masked_less_equal(values, 0)
        values = 20.0 * np.ma.log10(values)
    values = np.ma.masked_invalid(values)
    out = np.zeros(values.shape, dtype=np.uint8)
    limits: list[list[float] | None] = []
    for index, band in enumerate(values):
        valid = band.compressed()
        if valid.size == 0:
            limits.append(None)
            continue
        low, high = np.percentile(valid, [LOW_PERCENT, HIGH_PERCENT])
        limits.append([round(float(low), 6), round(float(high), 6)])
        span = high - low if high > low else 1.0
        scaled = np.clip((band.filled(low) - low) * (255.0 / span), 0, 255)
        out[index] = scaled.astype(np.uint8)
    scaling = {
        "method": "decibel-percentile" if decibels else "percentile",
        "percentiles": [LOW_PERCENT, HIGH_PERCENT],
        "limits": limits,  # per shown band: the values mapped to 0 and 255
    }
    if decibels:
        scaling["decibels"] = "20*log10(amplitude)"
    return out, scaling
