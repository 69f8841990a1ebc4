"""A curator chooses how an upload's videos are sampled (a rate, or scene changes with a
threshold) in the API and the ingest command; the recording's derivation says what was
chosen, and a bad choice is refused naming its field before anything is ingested."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from catalogue.models import IngestBatch, Recording
from tests.recordings.support import VIDEO, copy, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("camera-curator")


def post_video(owner, image_set, **choice):
    client = Client()
    client.force_login(owner)
    with VIDEO.open("rb") as stream:
        answer = client.post(
            f"/api/v1/image-sets/{image_set.pk}/images/", {"files": [stream], **choice}
        )
    return client, answer


def test_an_upload_chooses_the_frame_rate(owner, settings):
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 1.0}
    image_set = new_set(owner=owner)
    client, answer = post_video(owner, image_set, frame_rate="2.5")
    assert answer.status_code == 201, answer.content
    recording = Recording.objects.get(image_set=image_set)
    assert recording.derivation == {
        "type": "frames",
        "mode": "rate",
        "rate": 2.5,
        "chosen_by": "upload",
        "identical_skipped": 0,
    }
    starts = recording.images.order_by("recording_start").values_list("recording_start", flat=True)
    # 6 s of video, 10 frames a second: the first frame at or after each 0.4 s.
    assert list(starts) == pytest.approx([i * 0.4 for i in range(15)])
    body = client.get(f"/api/v1/recordings/{recording.pk}/").json()
    assert body["derivation"]["rate"] == 2.5 and body["derivation"]["chosen_by"] == "upload"
    assert len(body["images"]) == 15


def test_an_upload_chooses_scene_changes(owner, settings):
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 5.0}
    image_set = new_set(owner=owner)
    _, answer = post_video(owner, image_set, scene_threshold="0.03")
    assert answer.status_code == 201, answer.content
    recording = Recording.objects.get(image_set=image_set)
    assert recording.derivation["mode"] == "scene"
    assert recording.derivation["threshold"] == 0.03
    assert recording.derivation["chosen_by"] == "upload"
    # Six particles pass the camera, one a second: one frame at each cut.
    times = recording.images.order_by("recording_start").values_list("recording_start", flat=True)
    assert list(times) == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])


def test_without_a_choice_the_setting_applies(owner, settings):
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 0.5}
    image_set = new_set(owner=owner)
    _, answer = post_video(owner, image_set)
    assert answer.status_code == 201, answer.content
    recording = Recording.objects.get(image_set=image_set)
    assert recording.derivation["chosen_by"] == "settings"
    assert recording.images.count() == 3


@pytest.mark.parametrize(
    ("choice", "fields"),
    [
        ({"frame_rate": "0"}, {"frame_rate"}),
        ({"frame_rate": "-2"}, {"frame_rate"}),
        ({"frame_rate": "500"}, {"frame_rate"}),
        ({"frame_rate": "often"}, {"frame_rate"}),
        ({"scene_threshold": "1.5"}, {"scene_threshold"}),
        ({"scene_threshold": "0"}, {"scene_threshold"}),
        ({"frame_rate": "2", "scene_threshold": "0.1"}, {"frame_rate", "scene_threshold"}),
    ],
)
def test_a_bad_choice_is_refused_naming_its_field(owner, choice, fields):
    image_set = new_set(owner=owner)
    _, answer = post_video(owner, image_set, **choice)
    assert answer.status_code == 400, answer.content
    assert set(answer.json()["errors"]) == fields
    assert not IngestBatch.objects.filter(image_set=image_set).exists()
    assert not Recording.objects.filter(image_set=image_set).exists()


def test_the_ingest_command_takes_the_choice(owner, tmp_path, settings):
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 1.0}
    image_set = new_set(owner=owner)
    folder = tmp_path / "in"
    copy(VIDEO, folder)
    call_command("ingest", str(folder), "--set", str(image_set.pk), "--frame-rate", "0.5")
    recording = Recording.objects.get(image_set=image_set)
    assert recording.derivation["rate"] == 0.5 and recording.derivation["chosen_by"] == "upload"
    assert recording.images.count() == 3
    with pytest.raises(CommandError, match="--frame-rate: 200 frames per second"):
        call_command("ingest", str(folder), "--set", str(image_set.pk), "--frame-rate", "200")


def test_the_upload_form_takes_the_choice(owner, settings):
    """The upload page without JavaScript: the form posts the choice with the files."""
    settings.RECORDING_FRAMES = {"mode": "rate", "rate": 1.0}
    image_set = new_set(owner=owner)
    client = Client()
    client.force_login(owner)
    page = reverse("curation:upload", kwargs={"uuid": image_set.uuid})
    shown = client.get(page).content.decode()
    assert 'name="frame_rate"' in shown and "1 frame a second" in shown
    with VIDEO.open("rb") as stream:
        refused = client.post(page, {"files": [stream], "frame_rate": "0"})
    assert refused.status_code == 400
    assert "frame_rate: 0 frames per second" in refused.content.decode()
    assert not Recording.objects.filter(image_set=image_set).exists()
    with VIDEO.open("rb") as stream:
        answer = client.post(page, {"files": [stream], "scene_threshold": "0.03"})
    assert answer.status_code == 200
    recording = Recording.objects.get(image_set=image_set)
    assert recording.derivation["mode"] == "scene" and recording.images.count() == 6
