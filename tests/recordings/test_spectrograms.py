"""Spectrogram images and their axes: the settings hold in seconds and rows at any
sample rate (1 kHz to 768 kHz), a tone lands on the row of its frequency, the real
whale call shows at every rate, and a box on the image reads back as the seconds and
hertz it covers.

The rates other than the hydrophone's own 2 kHz are the real MARS recording
resampled here (scipy's polyphase resampler): the same sound, other sample rates."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import soundfile
from scipy.signal import resample_poly

from catalogue.recordings import axes, limits
from catalogue.recordings.spectrograms import Spectrogrammer, check_parameters
from tests.recordings.support import CALL, WAV

RATE = 32_000
RATES = [1_000, 2_000, 8_000, 32_000, 96_000, 192_000, 768_000]
DEFAULTS = limits.DEFAULTS["RECORDING_SPECTROGRAM"]


def tone(frequency: float, seconds: float, amplitude: float = 0.5, rate: int = RATE):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def brightest_row(image) -> int:
    pixels = np.asarray(image, dtype=np.float32)
    return int(pixels.mean(axis=1).argmax())


@pytest.mark.parametrize("rate", RATES)
def test_a_segment_has_the_same_pixel_size_at_any_sample_rate(rate):
    maker = Spectrogrammer(dict(DEFAULTS), rate)
    segment = round(DEFAULTS["segment_seconds"] * rate)
    samples = tone(rate * 0.3, DEFAULTS["segment_seconds"], rate=rate)
    image = maker.image(samples, segment)
    assert (image.width, image.height) == (500, 512)
    grid = maker.axes(0.0, image.width)
    assert grid["pixels_per_second"] == pytest.approx(50.0, rel=0.01)
    assert grid["end_s"] == pytest.approx(10.0, rel=0.01)
    # The window stays near 50 ms (a power of two of samples), never under 16 samples.
    assert 0.03 <= maker.window_samples / rate <= 0.07 or maker.window_samples == 16
    assert maker.n_fft >= 2 * (512 - 1) and maker.n_fft & (maker.n_fft - 1) == 0
    # The tone lands on its row, within half the window's own resolution (grey levels
    # are flat across the top of the tone's peak once rows are finer than that).
    found = axes.frequency_at(grid, brightest_row(image) + 0.5)
    assert found == pytest.approx(
        rate * 0.3, abs=max(rate / 2 / 512, rate / maker.window_samples / 2)
    )
    derivation = maker.derivation()
    assert derivation["settings"] == {"window_s": 0.05, "hop_s": 0.02, "rows": 512}
    assert derivation["hop"] == round(0.02 * rate) and derivation["rows"] == 512


@pytest.fixture(scope="module")
def hydrophone():
    samples, rate = soundfile.read(WAV, dtype="float32")
    return samples, rate


@pytest.mark.parametrize("rate", [1_000, 2_000, 8_000, 96_000, 768_000])
def test_the_whale_call_shows_at_every_sample_rate(hydrophone, rate):
    """The real recording at other rates, on log-frequency rows: the call's band
    (70-90 Hz) is louder while it sounds than in the quiet seconds before it."""
    samples, native = hydrophone
    ratio = Fraction(rate, native)
    resampled = resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)
    maker = Spectrogrammer({**DEFAULTS, "scale": "log", "segment_seconds": 30.0}, rate)
    image = maker.image(resampled, len(resampled))
    pixels = np.asarray(image, dtype=np.float32)
    grid = maker.axes(0.0, image.width)
    assert image.height == 512 and image.width == pytest.approx(1500, abs=1)
    centres = np.array([axes.frequency_at(grid, y + 0.5) for y in range(image.height)])
    band = (centres >= CALL["low_hz"]) & (centres <= CALL["high_hz"])
    assert band.sum() >= 1
    pps = grid["pixels_per_second"]
    quiet = pixels[band, : int(6.0 * pps)].mean()
    calling = pixels[band, int(10.0 * pps) : int(20.0 * pps)].mean()
    assert calling > quiet + 2 * 255 / 120  # over 2 dB louder


def test_levels_are_db_of_full_scale():
    maker = Spectrogrammer(dict(DEFAULTS), RATE)
    # 2 kHz falls on a bin: a full-scale sine reads 0 dBFS (white), -60 dBFS mid-grey.
    loud = np.asarray(maker.image(tone(2_000.0, 1.0, 1.0), RATE))
    quiet = np.asarray(maker.image(tone(2_000.0, 1.0, 0.001), RATE))
    assert loud.max() == 255
    assert quiet.max() == pytest.approx(255 * (120 - 60) / 120, abs=2)


def test_a_box_reads_as_seconds_and_hertz():
    maker = Spectrogrammer(dict(DEFAULTS), RATE)
    grid = maker.axes(10.0, 500)  # the second segment of 10 s
    assert grid["pixels_per_second"] == RATE / 640
    # From 0.5 s to 1.5 s into the segment, 1 kHz to 4 kHz.
    pps, rows = grid["pixels_per_second"], grid["rows"]
    y_high = rows * (1 - 4_000 / 16_000)
    y_low = rows * (1 - 1_000 / 16_000)
    box = axes.time_frequency_box(grid, "box", [0.5 * pps, y_high, 1.5 * pps, y_low], 500, rows)
    assert box == pytest.approx({"begin_s": 10.5, "end_s": 11.5, "low_hz": 1_000, "high_hz": 4_000})
    whole = axes.time_frequency_box(grid, "whole", [], 500, rows)
    assert whole == pytest.approx(
        {"begin_s": 10.0, "end_s": grid["end_s"], "low_hz": 0.0, "high_hz": 16_000.0}
    )
    assert axes.time_frequency_box({"type": "frame", "time_s": 1.0}, "whole", [], 10, 10) is None


def test_axes_recorded_before_these_settings_still_read():
    """Images of recordings ingested with n_fft 1024 and hop 512 at 32 kHz (one row per bin)."""
    old = {
        "type": "spectrogram",
        "start_s": 0.0,
        "end_s": 10.24,
        "pixels_per_second": 62.5,
        "frequency_scale": "linear",
        "fmin_hz": 0.0,
        "fmax_hz": 16_000.0,
        "rows": 513,
        "pixels_per_hz": 513 / 16_000,
    }
    box = axes.time_frequency_box(old, "box", [62.5, 0, 125, 513], 640, 513)
    assert box == pytest.approx({"begin_s": 1.0, "end_s": 2.0, "low_hz": 0.0, "high_hz": 16_000})


def test_bad_settings_are_named_each():
    problems = check_parameters(
        {"window_s": 0, "hop_s": -1, "rows": 8, "scale": "mel", "segment_seconds": 0}
    )
    assert len(problems) == 6
    assert "db_floor" in problems[-1]
    too_wide = check_parameters({**DEFAULTS, "hop_s": 0.0001, "segment_seconds": 10.0})
    assert too_wide == ["segment_seconds / hop_s must be at most 20,000 columns"]
    old = check_parameters({**DEFAULTS, "n_fft": 1024, "hop": 512})
    assert old and "no longer settings" in old[0]
