"""Observatory video in: frames sampled at a rate or at scene changes, each an image
with its video time (and UTC time, the container's creation time being known);
detections on frames keep the video time in the API and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Recording
from curation.services import annotations, labels
from tests.catalogue.conftest import stored_keys
from tests.recordings.support import VIDEO, copy, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]
START = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def ingest_video(tmp_path, **fields):
    image_set = new_set(**fields)
    batch = services.ingest(image_set, [copy(VIDEO, tmp_path / "in")], actor=SYSTEM)
    assert (batch.status, batch.added, batch.rejected) == ("done", 1, [])
    return image_set, Recording.objects.get(image_set=image_set)


def test_frames_sampled_at_a_rate_keep_their_time(storage, settings, tmp_path):
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 2.0}
    _, recording = ingest_video(tmp_path)
    assert recording.kind == "video" and recording.media_type == "video/mp4"
    assert (recording.width, recording.height, recording.frame_rate) == (320, 240, 10.0)
    assert recording.frame_count == 60 and recording.duration == pytest.approx(6.0)
    assert recording.started_at == START
    assert recording.derivation == {
        "type": "frames",
        "mode": "rate",
        "rate": 2.0,
        "chosen_by": "settings",
        "identical_skipped": 0,
    }
    frames = list(recording.images.order_by("recording_start"))
    assert [f.recording_start for f in frames] == pytest.approx([i / 2 for i in range(12)])
    assert [f.captured_at for f in frames] == [START + timedelta(seconds=i / 2) for i in range(12)]
    assert frames[3].file_name == "flowcam_scenes.mp4#t=1.500"
    assert (frames[0].width, frames[0].height, frames[0].media_type) == (320, 240, "image/jpeg")
    keys = {recording.storage_key}
    for frame in frames:
        keys |= {frame.storage_key, frame.thumbnail_small, frame.thumbnail_medium}
    assert stored_keys() == keys


def test_frames_sampled_at_scene_changes(settings, tmp_path):
    settings.RECORDING_FRAMES = {"mode": "scene", "threshold": 0.03}
    _, recording = ingest_video(tmp_path)
    times = list(
        recording.images.order_by("recording_start").values_list("recording_start", flat=True)
    )
    # Six particles pass the camera, one a second: one frame at each cut.
    assert times == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    assert recording.derivation["mode"] == "scene"


def test_detections_on_frames_keep_the_video_time(settings, tmp_path):
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 1.0}
    owner = get_user_model().objects.create_user("observatory")
    _, recording = ingest_video(tmp_path, owner=owner)
    frame = recording.images.get(recording_start=3.0)
    label_set = labels.create_label_set(actor=owner, name="Plankton", labels=[{"name": "Tripos"}])
    annotations.create_annotation(
        actor=owner,
        image=frame,
        label=label_set.labels.get(),
        shape="box",
        coordinates=[70, 30, 250, 210],
        status="dubious",
        confidence=0.8,
    )
    client = Client()
    client.force_login(owner)
    body = client.get(f"/api/v1/recordings/{recording.pk}/").json()
    detected = [a for image in body["images"] for a in image["annotations"]]
    assert len(detected) == 1
    assert detected[0]["video_time_s"] == 3.0 and detected[0]["time_frequency"] is None
    export = client.get(f"/api/v1/recordings/{recording.pk}/annotations/export")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert rows == [
        {
            "recording": "flowcam_scenes.mp4",
            "video_time_s": "3.000",
            "captured_at": "2024-06-01T12:00:03+00:00",
            "label": "Tripos",
            "status": "dubious",
            "confidence": "0.8000",
            "x0": "70.0",
            "y0": "30.0",
            "x1": "250.0",
            "y1": "210.0",
            "image": str(frame.pk),
        }
    ]
