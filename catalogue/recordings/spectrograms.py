"""Spectrogram images of audio, one per segment of fixed duration.

How a spectrogram is made (the parameters are recorded on the recording as its
`derivation`, and each image's axes on the image):

- the first channel; a Hann window of `n_fft` samples, moved by `hop` samples;
  the window at column x starts at sample x * hop of the segment (windows run
  into the next segment, the last one is padded with zeros);
- magnitude |X(f)| scaled by 2 / sum(window), so a full-scale sine (amplitude
  1.0) reads 0 dB: levels are dB relative to full scale (dBFS), not calibrated
  sound pressure;
- grey levels: `db_floor` dBFS and below black, 0 dBFS and above white, linear
  in dB between;
- rows: "linear", one row per FFT bin, 0 Hz at the bottom row and the Nyquist
  frequency at the top; or "log", the same number of rows spaced evenly in
  log-frequency from `log_fmin_hz` to Nyquist (interpolated between bins).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

SCALES = ("linear", "log")


def check_parameters(params: dict[str, Any]) -> list[str]:
    """What is wrong with spectrogram settings (each problem named)."""
    problems = []
    n_fft, hop = params.get("n_fft"), params.get("hop")
    if not isinstance(n_fft, int) or not 16 <= n_fft <= 65536:
        problems.append("n_fft must be an integer from 16 to 65536")
    if not isinstance(hop, int) or not 1 <= hop <= (n_fft if isinstance(n_fft, int) else 0):
        problems.append("hop must be an integer from 1 to n_fft")
    if params.get("scale") not in SCALES:
        problems.append(f"scale must be one of {', '.join(SCALES)}")
    if not float(params.get("segment_seconds", 0)) > 0:
        problems.append("segment_seconds must be above 0")
    if not float(params.get("db_floor", 0)) < 0:
        problems.append("db_floor must be below 0 dBFS")
    return problems


class Spectrogrammer:
    """Makes the image and axes of one segment; the window and row map made once."""

    def __init__(self, params: dict[str, Any], sample_rate: int) -> None:
        self.params = params
        self.sample_rate = sample_rate
        self.n_fft = int(params["n_fft"])
        self.hop = int(params["hop"])
        self.window = np.hanning(self.n_fft + 1)[:-1].astype(np.float32)  # periodic Hann
        self.gain = 2.0 / float(self.window.sum())
        self.db_floor = float(params["db_floor"])
        self.scale = params["scale"]
        self.bins = self.n_fft // 2 + 1
        self.nyquist = sample_rate / 2.0
        self.fmin = 0.0
        if self.scale == "log":
            self.fmin = min(float(params.get("log_fmin_hz", 10.0)), self.nyquist / 2)
            wanted = np.geomspace(self.fmin, self.nyquist, self.bins)
            fractional = wanted * self.n_fft / sample_rate  # the bin each row falls on
            self.log_low = np.minimum(np.floor(fractional).astype(int), self.bins - 2)
            self.log_weight = (fractional - self.log_low).astype(np.float32)

    @property
    def overlap(self) -> int:
        """Samples of the next segment the last windows of a segment reach into."""
        return self.n_fft - self.hop

    def columns(self, body: int) -> int:
        """Columns of a segment of `body` samples: one per hop that starts in it."""
        return max(1, -(-body // self.hop))

    def image(self, samples: np.ndarray, body: int) -> Image.Image:
        """The greyscale spectrogram of a segment (`body` samples, then the overlap)."""
        columns = self.columns(body)
        needed = (columns - 1) * self.hop + self.n_fft
        if len(samples) < needed:
            samples = np.pad(samples, (0, needed - len(samples)))
        frames = sliding_window_view(samples[:needed], self.n_fft)[:: self.hop][:columns]
        magnitude = np.abs(np.fft.rfft(frames * self.window, axis=1)).astype(np.float32)
        level = 20.0 * np.log10(np.maximum(magnitude * self.gain, 1e-12))
        if self.scale == "log":
            low, weight = self.log_low, self.log_weight
            level = level[:, low] * (1 - weight) + level[:, low + 1] * weight
        grey = np.clip((level - self.db_floor) * (255.0 / -self.db_floor), 0, 255)
        # Rows from the top: the highest frequency first.
        return Image.fromarray(grey.T[::-1].astype(np.uint8), mode="L")

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
            "rows": self.bins,
            "pixels_per_hz": (
                self.bins / (self.nyquist - self.fmin) if self.scale == "linear" else None
            ),
        }

    def derivation(self) -> dict[str, Any]:
        return {
            "type": "spectrogram",
            "channel": 1,
            "window": "hann",
            "n_fft": self.n_fft,
            "hop": self.hop,
            "frequency_scale": self.scale,
            "segment_seconds": float(self.params["segment_seconds"]),
            "db_reference": "full scale (a sine of amplitude 1.0 reads 0 dB)",
            "db_range": [self.db_floor, 0.0],
            "fmin_hz": self.fmin,
            "fmax_hz": self.nyquist,
        }
