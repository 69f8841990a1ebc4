"""Spectrogram images of audio, one per segment of fixed duration.

The settings hold in time and frequency, not in samples, so a segment has the same
pixel size at any sample rate from 1 kHz to 768 kHz: `segment_seconds / hop_s`
columns (500 by default) and `rows` rows (512). How a spectrogram is made (recorded
on the recording as its `derivation`, with the sample counts this recording's rate
gave; each image's axes on the image):

- the first channel; a Hann window of the power of two of samples nearest
  `window_s` (at least 16), moved by `hop_s` (rounded to whole samples; the
  image's axes give the exact `pixels_per_second`); the window at column x starts
  at sample x * hop of the segment (windows run into the next segment, the last one
  is padded with zeros); each window zero-padded to `n_fft` samples, a power of two
  of at least the window and 2 * (rows - 1), so there is a bin for every row;
- magnitude |X(f)| scaled by 2 / sum(window), so a full-scale sine (amplitude
  1.0) reads 0 dB: levels are dB relative to full scale (dBFS), not calibrated
  sound pressure;
- rows: `rows` bands from `fmin_hz` at the bottom edge to the Nyquist frequency at
  the top, of equal width in Hz ("linear", fmin 0) or in log-frequency ("log", fmin
  `log_fmin_hz`); a band's level is the loudest bin in it (a narrow tone is never
  lost between rows), or, in a band narrower than a bin, the level interpolated at
  its centre;
- grey levels: `db_floor` dBFS and below black, 0 dBFS and above white, linear
  in dB between.

Recordings ingested before these settings have `n_fft` and `hop` in samples in
their derivation and one row per FFT bin; their images' axes (axes.py) read the
same way as today's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

SCALES = ("linear", "log")
MIN_WINDOW = 16  # samples
MAX_ROWS = 4096
MAX_COLUMNS = 20_000  # per segment
# Windowed samples transformed at once: bounds memory at high sample rates.
BLOCK_SAMPLES = 1 << 22


def check_parameters(params: dict[str, Any]) -> list[str]:
    """What is wrong with spectrogram settings (each problem named)."""
    problems = []
    if "n_fft" in params or "hop" in params:
        problems.append(
            "n_fft and hop (samples) are no longer settings: give window_s and hop_s "
            "(seconds) and rows"
        )
    window_s, hop_s, rows = params.get("window_s"), params.get("hop_s"), params.get("rows")
    segment = params.get("segment_seconds", 0)
    if not isinstance(window_s, int | float) or not 0 < window_s <= 10:
        problems.append("window_s must be above 0 and at most 10 seconds")
    if not isinstance(hop_s, int | float) or not 0 < hop_s <= 10:
        problems.append("hop_s must be above 0 and at most 10 seconds")
    if not isinstance(rows, int) or not 16 <= rows <= MAX_ROWS:
        problems.append(f"rows must be an integer from 16 to {MAX_ROWS}")
    if params.get("scale") not in SCALES:
        problems.append(f"scale must be one of {', '.join(SCALES)}")
    if not isinstance(segment, int | float) or not segment > 0:
        problems.append("segment_seconds must be above 0")
    elif isinstance(hop_s, int | float) and hop_s > 0 and segment / hop_s > MAX_COLUMNS:
        problems.append(f"segment_seconds / hop_s must be at most {MAX_COLUMNS:,} columns")
    if not float(params.get("db_floor", 0)) < 0:
        problems.append("db_floor must be below 0 dBFS")
    return problems


def power_of_two(value: float) -> int:
    """The power of two nearest `value` (in log scale), at least MIN_WINDOW."""
    return max(MIN_WINDOW, 1 << max(0, round(math.log2(max(value, 1.0)))))


class Spectrogrammer:
    """Makes the image and axes of one segment; the window and row map made once."""

    def __init__(self, params: dict[str, Any], sample_rate: int) -> None:
        self.params = params
        self.sample_rate = sample_rate
        self.rows = int(params["rows"])
        self.window_samples = power_of_two(float(params["window_s"]) * sample_rate)
        self.hop = max(1, round(float(params["hop_s"]) * sample_rate))
        self.n_fft = max(self.window_samples, 1 << (2 * (self.rows - 1) - 1).bit_length())
        self.window = np.hanning(self.window_samples + 1)[:-1].astype(np.float32)  # periodic
        self.gain = 2.0 / float(self.window.sum())
        self.db_floor = float(params["db_floor"])
        self.scale = params["scale"]
        self.bins = self.n_fft // 2 + 1
        self.nyquist = sample_rate / 2.0
        self.fmin = 0.0
        if self.scale == "log":
            self.fmin = min(float(params.get("log_fmin_hz", 10.0)), self.nyquist / 2)
            edges = np.geomspace(self.fmin, self.nyquist, self.rows + 1)
            centres = np.sqrt(edges[:-1] * edges[1:])
        else:
            edges = np.linspace(0.0, self.nyquist, self.rows + 1)
            centres = (edges[:-1] + edges[1:]) / 2
        self.map_rows(edges, centres)

    def map_rows(self, edges: np.ndarray, centres: np.ndarray) -> None:
        """Which bins each row (from the bottom) takes: the first bin at or above its
        lower edge up to the next row's first (np.maximum.reduceat's runs); a row
        without a bin of its own is interpolated at its centre."""
        per_hz = self.n_fft / self.sample_rate
        starts = np.minimum(np.ceil(edges[:-1] * per_hz - 1e-9).astype(int), self.bins - 1)
        ends = np.append(starts[1:], self.bins)
        self.row_starts = starts
        self.interpolated = np.flatnonzero(ends <= starts)
        fractional = centres[self.interpolated] * per_hz
        self.low = np.minimum(np.floor(fractional).astype(int), self.bins - 2)
        self.weight = (fractional - self.low).astype(np.float32)

    @property
    def overlap(self) -> int:
        """Samples of the next segment the last windows of a segment reach into."""
        return max(0, self.window_samples - self.hop)

    def columns(self, body: int) -> int:
        """Columns of a segment of `body` samples: one per hop that starts in it."""
        return max(1, -(-body // self.hop))

    def levels(self, frames: np.ndarray) -> np.ndarray:
        """dBFS of each row (from the bottom) of each column (a window of samples)."""
        spectrum = np.fft.rfft(frames * self.window, n=self.n_fft, axis=1)
        magnitude = np.abs(spectrum)
        level = np.maximum.reduceat(magnitude, self.row_starts, axis=1)
        if len(self.interpolated):
            low, weight = self.low, self.weight
            level[:, self.interpolated] = (
                magnitude[:, low] * (1 - weight) + magnitude[:, low + 1] * weight
            )
        return 20.0 * np.log10(np.maximum(level * self.gain, 1e-12))

    def image(self, samples: np.ndarray, body: int) -> Image.Image:
        """The greyscale spectrogram of a segment (`body` samples, then the overlap)."""
        columns = self.columns(body)
        needed = (columns - 1) * self.hop + self.window_samples
        if len(samples) < needed:
            samples = np.pad(samples, (0, needed - len(samples)))
        frames = sliding_window_view(samples[:needed], self.window_samples)[:: self.hop]
        block = max(1, BLOCK_SAMPLES // self.n_fft)
        grey = np.empty((columns, self.rows), dtype=np.uint8)
        scale = 255.0 / -self.db_floor
        for first in range(0, columns, block):
            level = self.levels(frames[first : min(columns, first + block)])
            grey[first : first + len(level)] = np.clip((level - self.db_floor) * scale, 0, 255)
        # Rows from the top: the highest frequency first.
        return Image.fromarray(np.ascontiguousarray(grey.T[::-1]), mode="L")

    def axes(self, start_s: float, columns: int) -> dict[str, Any]:
        """How the segment's pixels map to time and frequency (see axes.py)."""
        return {
            "type": "spectrogram",
            "start_s": start_s,
            "end_s": start_s + columns * self.hop / self.sample_rate,
            "pixels_per_second": self.sample_rate / self.hop,
            "frequency_scale": self.scale,
            "fmin_hz": self.fmin,
            "fmax_hz": self.nyquist,
            "rows": self.rows,
            "pixels_per_hz": (
                self.rows / (self.nyquist - self.fmin) if self.scale == "linear" else None
            ),
        }

    def derivation(self) -> dict[str, Any]:
        return {
            "type": "spectrogram",
            "channel": 1,
            "window": "hann",
            "window_s": self.window_samples / self.sample_rate,
            "window_samples": self.window_samples,
            "hop_s": self.hop / self.sample_rate,
            "hop": self.hop,
            "n_fft": self.n_fft,
            "rows": self.rows,
            "row_level": "the loudest bin in the row's band; interpolated at its centre "
            "when the band holds no bin",
            "frequency_scale": self.scale,
            "segment_seconds": float(self.params["segment_seconds"]),
            "db_reference": "full scale (a sine of amplitude 1.0 reads 0 dB)",
            "db_range": [self.db_floor, 0.0],
            "fmin_hz": self.fmin,
            "fmax_hz": self.nyquist,
            "settings": {
                "window_s": float(self.params["window_s"]),
                "hop_s": float(self.params["hop_s"]),
                "rows": self.rows,
            },
        }
