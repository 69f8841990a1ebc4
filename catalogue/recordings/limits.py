"""What a recording may be before anything of it is decoded, and how its images are
derived. Each value can be set in the settings (same name); the defaults suit
hydrophone files of up to a few hours and observatory clips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Any recording file; a larger one is refused before it is read.
    "RECORDING_MAX_BYTES": 2 * 1024**3,
    "RECORDING_MAX_DURATION_S": 4 * 3600.0,
    # Audio: hydrophones record up to 512 kHz; arrays have a few channels.
    "RECORDING_MAX_SAMPLE_RATE": 768_000,
    "RECORDING_MAX_CHANNELS": 16,
    # Samples decoded (all channels): a FLAC of silence claiming days is a bomb.
    "RECORDING_MAX_SAMPLES": 2_000_000_000,
    # Video: pixels of one frame (8K is 33 Mpx) and frames decoded.
    "RECORDING_MAX_FRAME_PIXELS": 40_000_000,
    "RECORDING_MAX_FRAMES": 1_000_000,
    # Images derived from one recording (spectrogram segments, sampled frames).
    "RECORDING_MAX_DERIVED_IMAGES": 5_000,
    # Spectrograms (spectrograms.py), in time and frequency so that a segment is
    # segment_seconds / hop_s columns by `rows` rows at any sample rate: a Hann window
    # of about `window_s` (a power of two of samples) moved by `hop_s`; "linear" or "log"
    # frequency rows; dB relative to full scale, `db_floor` is black.
    "RECORDING_SPECTROGRAM": {
        "window_s": 0.05,
        "hop_s": 0.02,
        "rows": 512,
        "scale": "linear",
        "segment_seconds": 10.0,
        "db_floor": -120.0,
        "log_fmin_hz": 10.0,
    },
    # Frame sampling (frames.py): {"mode": "rate", "rate": frames per second} or
    # {"mode": "scene", "threshold": mean change 0..1, "min_gap_s": seconds}.
    "RECORDING_FRAMES": {"mode": "rate", "rate": 1.0},
}


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_duration_s: float
    max_sample_rate: int
    max_channels: int
    max_samples: int
    max_frame_pixels: int
    max_frames: int
    max_derived_images: int


def setting(name: str) -> Any:
    value = getattr(settings, name, None)
    if isinstance(DEFAULTS[name], dict):
        return {**DEFAULTS[name], **(value or {})}
    return DEFAULTS[name] if value is None else value


def current() -> Limits:
    """The limits in force now (read from the settings on each call)."""
    return Limits(
        max_bytes=int(setting("RECORDING_MAX_BYTES")),
        max_duration_s=float(setting("RECORDING_MAX_DURATION_S")),
        max_sample_rate=int(setting("RECORDING_MAX_SAMPLE_RATE")),
        max_channels=int(setting("RECORDING_MAX_CHANNELS")),
        max_samples=int(setting("RECORDING_MAX_SAMPLES")),
        max_frame_pixels=int(setting("RECORDING_MAX_FRAME_PIXELS")),
        max_frames=int(setting("RECORDING_MAX_FRAMES")),
        max_derived_images=int(setting("RECORDING_MAX_DERIVED_IMAGES")),
    )


def seconds(value: float) -> str:
    """A duration as people read it: 0.25 s, 10.0 s, 2 h 5 min."""
    if value < 60:
        return f"{value:.3g} s"
    if value < 3600:
        return f"{value / 60:.1f} min"
    return f"{int(value // 3600)} h {int(value % 3600 // 60)} min"
