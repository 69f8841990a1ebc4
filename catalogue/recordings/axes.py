"""Pixels of a derived image as recording time and frequency.

A spectrogram image's `recording_axes` (spectrograms.py) say where its pixels lie:
x = 0 (the left edge) is `start_s`, each pixel `1 / pixels_per_second` seconds on;
the top edge (y = 0) is `fmax_hz` and the bottom edge (y = rows) `fmin_hz`, evenly
in Hz ("linear") or in log-frequency ("log"). A video frame's axes hold its time only.
An annotation's box [x0, y0, x1, y1] on a spectrogram is thus a time-frequency box
(seconds from the recording's start, Hz); on a frame, a box at one video time.
"""

from __future__ import annotations

import math
from typing import Any

from curation.geometry import bounds


def time_at(axes: dict[str, Any], x: float) -> float:
    return float(axes["start_s"]) + x / float(axes["pixels_per_second"])


def frequency_at(axes: dict[str, Any], y: float) -> float:
    rows = int(axes["rows"])
    fmin, fmax = float(axes["fmin_hz"]), float(axes["fmax_hz"])
    up = (rows - y) / rows  # 0 at the bottom edge, 1 at the top
    if axes.get("frequency_scale") == "log":
        return fmin * math.pow(fmax / fmin, up)
    return fmin + up * (fmax - fmin)


def time_frequency_box(
    axes: dict[str, Any], shape: str, coordinates: list, width: int, height: int
) -> dict | None:
    """The time-frequency box around an annotation on a spectrogram (a whole-image
    label spans the image); None for an image that is no spectrogram."""
    if axes.get("type") != "spectrogram":
        return None
    x0, y0, x1, y1 = bounds(shape, coordinates, width, height)
    return {
        "begin_s": round(time_at(axes, x0), 6),
        "end_s": round(time_at(axes, x1), 6),
        "low_hz": round(frequency_at(axes, y1), 3),
        "high_hz": round(frequency_at(axes, y0), 3),
    }


def annotation_time_frequency(annotation) -> dict | None:
    """`time_frequency_box` of an annotation, from its image's axes and size."""
    image = annotation.image
    return time_frequency_box(
        image.recording_axes, annotation.shape, annotation.coordinates, image.width, image.height
    )
