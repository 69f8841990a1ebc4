"""Display scaling of 16-bit, float and multiband rasters for thumbnails.

Bands are stretched between percentiles of their valid pixels (nodata, masked
and non-finite pixels left out), 2-98 by default, as remote-sensing viewers do,
taken over the bands as read at thumbnail size (decimated.py: averages of the
full resolution or of an overview), not over the full-resolution samples;
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
    """8-bit bands (bands, rows, cols) and the scaling that made them.

    8- and 16-bit integer bands go through a table of their 65,536 possible values:
    percentiles from the counts of each value (the order statistics, carried through
    the monotonic decibel scale, interpolated as numpy's "linear" percentile is) and
    the 8-bit level of each value, looked up. Other bands are worked in single
    precision with one validity mask, their percentiles in double precision."""
    samples = np.asarray(data.data)
    valid = ~np.ma.getmaskarray(data)
    if samples.dtype in (np.uint8, np.uint16):
        out, limits = integer_stretch(samples, valid, decibels=decibels)
    else:
        out, limits = float_stretch(samples, valid, decibels=decibels)
    scaling = {
        "method": "decibel-percentile" if decibels else "percentile",
        "percentiles": [LOW_PERCENT, HIGH_PERCENT],
        "limits": limits,  # per shown band: the values mapped to 0 and 255
    }
    if decibels:
        scaling["decibels"] = "20*log10(amplitude)"
    return out, scaling


def integer_stretch(
    samples: np.ndarray, valid: np.ndarray, *, decibels: bool
) -> tuple[np.ndarray, list[list[float] | None]]:
    levels = np.arange(np.iinfo(samples.dtype).max + 1, dtype=np.float64)
    usable = np.ones(levels.shape, dtype=bool)
    if decibels:
        # Zero amplitude is no signal (nodata in GRD products): left out, not -inf.
        usable[0] = False
        levels[0] = 1.0
        levels = 20.0 * np.log10(levels)
    out = np.zeros(samples.shape, dtype=np.uint8)
    limits: list[list[float] | None] = []
    for index, (band, band_valid) in enumerate(zip(samples, valid, strict=True)):
        counts = np.bincount(band[band_valid], minlength=levels.size) * usable
        if not counts.any():
            limits.append(None)
            continue
        low, high = count_percentiles(counts, levels, [LOW_PERCENT, HIGH_PERCENT])
        limits.append([round(low, 6), round(high, 6)])
        span = high - low if high > low else 1.0
        table = np.clip((levels - low) * (255.0 / span), 0, 255).astype(np.uint8)
        table[~usable] = 0
        out[index] = np.where(band_valid, table[band], 0)
    return out, limits


def count_percentiles(counts: np.ndarray, levels: np.ndarray, percents: list[float]) -> list[float]:
    """numpy's linear percentiles of the values that `counts` counts, level by level."""
    ends = np.cumsum(counts)  # the sorted values' positions: level k fills up to ends[k]
    results = []
    for percent in percents:
        rank = (ends[-1] - 1) * percent / 100.0
        below, above = int(np.floor(rank)), int(np.ceil(rank))
        low_level = levels[np.searchsorted(ends, below, side="right")]
        high_level = levels[np.searchsorted(ends, above, side="right")]
        results.append(float(low_level + (high_level - low_level) * (rank - below)))
    return results


def float_stretch(
    samples: np.ndarray, valid: np.ndarray, *, decibels: bool
) -> tuple[np.ndarray, list[list[float] | None]]:
    # Complex samples (single-look complex radar): their amplitude.
    values = (np.abs(samples) if np.iscomplexobj(samples) else samples).astype(np.float32)
    if decibels:
        valid &= values > 0
        np.log10(values, out=values, where=valid)
        values *= 20.0
    valid &= np.isfinite(values)
    out = np.zeros(values.shape, dtype=np.uint8)
    limits: list[list[float] | None] = []
    for index, (band, band_valid) in enumerate(zip(values, valid, strict=True)):
        chosen = band[band_valid]
        if chosen.size == 0:
            limits.append(None)
            continue
        low, high = np.percentile(chosen.astype(np.float64), [LOW_PERCENT, HIGH_PERCENT])
        limits.append([round(float(low), 6), round(float(high), 6)])
        span = high - low if high > low else 1.0
        band[~band_valid] = low
        band -= np.float32(low)
        band *= np.float32(255.0 / span)
        np.clip(band, 0, 255, out=band)
        out[index] = band
    return out, limits
