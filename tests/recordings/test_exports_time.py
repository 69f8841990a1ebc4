"""A set holding a video and a hydrophone recording: its iFDO is valid (the `ifdo`
library, the iFDO community's models) and each frame or spectrogram item says where
it lies in its recording, in `image-acquisition-settings`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ifdo import iFDO

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats import ifdo
from catalogue.models import Image
from tests.recordings.support import VIDEO, WAV, copy, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]
VIDEO_START = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
WAV_START = datetime(2015, 9, 10, 0, 2, 35, tzinfo=UTC)


@pytest.fixture
def recorded_set(settings, tmp_path):
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 1.0}
    image_set = new_set(title="Observatory")
    folder = tmp_path / "in"
    copy(VIDEO, folder)
    copy(WAV, folder)
    batch = services.ingest(image_set, [folder], actor=SYSTEM)
    assert (batch.status, batch.added, batch.rejected) == ("done", 2, [])
    return image_set


def test_ifdo_of_a_set_with_recordings_is_valid_and_placed(recorded_set):
    text = ifdo.to_json(recorded_set)
    # Raises on anything the iFDO schema refuses (it turns times into datetimes in place).
    iFDO.from_dict(json.loads(text))
    document = json.loads(text)
    items = document["image-set-items"]
    assert len(items) == Image.objects.filter(image_set=recorded_set).count()

    frame = items["flowcam_scenes.mp4#t=3.000"]
    assert frame["image-datetime"] == (VIDEO_START + timedelta(seconds=3)).strftime(
        "%Y-%m-%d %H:%M:%S.%f"
    )
    settings = frame["image-acquisition-settings"]
    assert settings["recording"] == "flowcam_scenes.mp4"
    assert settings["recording-start-s"] == settings["recording-end-s"] == 3.0
    assert settings["recording-axes"] == {"type": "frame", "time_s": 3.0, "frame_rate": 10.0}

    segments = {name: item for name, item in items.items() if name.startswith(WAV.name + "#t=")}
    assert len(segments) == 3  # 30 s in 10 s segments
    # A segment's end is its last spectrogram column's end (a little past 20 s).
    (second,) = [item for name, item in segments.items() if "#t=10.000," in name]
    assert second["image-datetime"] == (WAV_START + timedelta(seconds=10)).strftime(
        "%Y-%m-%d %H:%M:%S.%f"
    )
    axes = second["image-acquisition-settings"]["recording-axes"]
    assert axes["type"] == "spectrogram"
    assert axes["start_s"] == 10.0 and 20.0 <= axes["end_s"] < 20.5
    assert second["image-acquisition-settings"]["recording-end-s"] == axes["end_s"]
    assert axes["fmax_hz"] == 1000.0  # Nyquist of the 2 kHz recording
    assert axes["pixels_per_second"] > 0 and axes["rows"] > 0


def test_items_of_plain_images_have_no_recording_settings(recorded_set):
    frame = Image.objects.filter(image_set=recorded_set, recording__kind="video").first()
    from_yaml = ifdo.to_yaml(recorded_set)
    document = json.loads(ifdo.to_json(recorded_set))
    assert "image-acquisition-settings" in document["image-set-items"][frame.file_name]
    assert "image-acquisition-settings:" in from_yaml
    plain = ifdo.item(Image(file_name="plain.jpg", fields={}, image_set=recorded_set), None)
    assert "image-acquisition-settings" not in plain
