"""Spectrogram images and their axes: a tone lands on the row of its frequency, a
box on the image reads back as the seconds and hertz it covers."""

from __future__ import annotations

import numpy as np
import pytest

from catalogue.recordings import axes, limits
from catalogue.recordings.spectrograms import Spectrogrammer, check_parameters

RATE = 32_000


def tone(frequency: float, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def brightest_row(image) -> int:
    pixels = np.asarray(image, dtype=np.float32)
    return int(pixels.mean(axis=1).argmax())


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_a_tone_lands_on_the_row_of_its_frequency(scale):
    params = {**limits.DEFAULTS["RECORDING_SPECTROGRAM"], "scale": scale}
    maker = Spectrogrammer(params, RATE)
    samples = tone(3_000.0, 2.0)
    image = maker.image(samples, len(samples))
    grid = maker.axes(0.0, image.width)
    assert (image.width, image.height) == (maker.columns(len(samples)), 513)
    row = brightest_row(image)
    found = axes.frequency_at(grid, row + 0.5)  # the row's centre
    # One row spans 31.25 Hz (linear); log rows are narrower here.
    assert found == pytest.approx(3_000.0, abs=32.0)


def test_levels_are_db_of_full_scale():
    params = dict(limits.DEFAULTS["RECORDING_SPECTROGRAM"])
    maker = Spectrogrammer(params, RATE)
    # 2 kHz falls on a bin: a full-scale sine reads 0 dBFS (white), -60 dBFS mid-grey.
    loud = np.asarray(maker.image(tone(2_000.0, 1.0, 1.0), RATE))
    quiet = np.asarray(maker.image(tone(2_000.0, 1.0, 0.001), RATE))
    assert loud.max() == 255
    assert quiet.max() == pytest.approx(255 * (120 - 60) / 120, abs=2)


def test_a_box_reads_as_seconds_and_hertz():
    params = dict(limits.DEFAULTS["RECORDING_SPECTROGRAM"])
    maker = Spectrogrammer(params, RATE)
    grid = maker.axes(10.0, 625)  # the second segment of 10 s
    assert grid["pixels_per_second"] == RATE / 512
    # From 0.5 s to 1.5 s into the segment, 1 kHz to 4 kHz.
    pps, rows = grid["pixels_per_second"], grid["rows"]
    y_high = rows * (1 - 4_000 / 16_000)
    y_low = rows * (1 - 1_000 / 16_000)
    box = axes.time_frequency_box(grid, "box", [0.5 * pps, y_high, 1.5 * pps, y_low], 625, rows)
    assert box == pytest.approx({"begin_s": 10.5, "end_s": 11.5, "low_hz": 1_000, "high_hz": 4_000})
    whole = axes.time_frequency_box(grid, "whole", [], 625, rows)
    assert whole == pytest.approx(
        {"begin_s": 10.0, "end_s": grid["end_s"], "low_hz": 0.0, "high_hz": 16_000.0}
    )
    assert axes.time_frequency_box({"type": "frame", "time_s": 1.0}, "whole", [], 10, 10) is None


def test_bad_settings_are_named_each():
    problems = check_parameters({"n_fft": 8, "hop": 0, "scale": "mel", "segment_seconds": 0})
    assert len(problems) == 5
