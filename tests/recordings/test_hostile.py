"""Hostile and wrong recordings are refused with a reason naming the file, and
nothing of them stays: no row, no stored byte."""

from __future__ import annotations

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image, Recording
from catalogue.recordings.sniffing import sniff
from tests.catalogue.conftest import stored_keys
from tests.recordings.support import (
    VIDEO,
    WAV,
    avi_claiming,
    copy,
    new_set,
    silent_flac,
    truncated_flac,
    wav_claiming,
)

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]


def refused(tmp_path, path) -> str:
    image_set = new_set()
    batch = services.ingest(image_set, [path], actor=SYSTEM)
    assert (batch.status, batch.added) == ("done", 0)
    assert [entry["name"] for entry in batch.rejected] == [path.name]
    assert not Recording.objects.filter(image_set=image_set).exists()
    assert not Image.objects.filter(image_set=image_set).exists()
    assert stored_keys() == set()
    return batch.rejected[0]["reason"]


def test_a_wav_header_claiming_hours_is_refused(storage, tmp_path):
    reason = refused(tmp_path, wav_claiming(tmp_path / "in", 5 * 3600))
    assert reason == "refused: the WAV header claims 5 h 0 min of sound but the file holds 30 s"


def test_a_truncated_flac_is_refused(storage, tmp_path):
    reason = refused(tmp_path, truncated_flac(tmp_path / "in"))
    assert "truncated" in reason or "decoding failed" in reason
    assert "30 s" in reason  # what its header declares


def test_a_flac_of_silence_decoding_past_the_limit_is_refused(settings, tmp_path):
    settings.RECORDING_MAX_SAMPLES = 10_000_000
    path = silent_flac(tmp_path / "in", 120)  # 11.5 M samples in a few kilobytes
    assert path.stat().st_size < 100_000
    reason = refused(tmp_path, path)
    assert reason == (
        "refused: it decodes to 11,520,000 samples, over the limit of 10,000,000 "
        "(a decompression bomb?)"
    )


def test_too_long_and_too_many_channels_are_named_together(settings, tmp_path):
    settings.RECORDING_MAX_DURATION_S = 5
    settings.RECORDING_MAX_CHANNELS = 0
    reason = refused(tmp_path, copy(WAV, tmp_path / "in"))
    assert reason == (
        "refused: 1 channels, over the limit of 0; it lasts 30 s, over the limit of 5 s"
    )


def test_a_video_of_absurd_dimensions_is_refused_before_decoding(tmp_path):
    reason = refused(tmp_path, avi_claiming(tmp_path / "in", 12_000, 12_000))
    assert reason == (
        "refused: frames of 12000x12000 = 144,000,000 pixels, over the limit of 40,000,000"
    )


def test_a_video_with_more_frames_than_allowed_is_refused(settings, tmp_path):
    settings.RECORDING_MAX_FRAMES = 50
    reason = refused(tmp_path, copy(VIDEO, tmp_path / "in"))
    assert reason == "refused: 60 frames, over the limit of 50"


def test_a_name_that_lies_about_the_content_is_refused(tmp_path):
    reason = refused(tmp_path, copy(WAV, tmp_path / "in", "recording.flac"))
    assert reason == "the name says '.flac' but the content is WAV"


def test_content_not_a_recording_is_not_taken_for_one():
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00") is None  # a HEIF still image
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") is None
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00") == "video/mp4"
