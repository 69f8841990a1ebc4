"""A hydrophone recording and a video uploaded through the API are ingested by a real
worker process: the recordings and their derived images arrive together, the video's
frames sampled as its upload chose."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model

from aquacat import tokens
from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Recording
from tests.catalogue.conftest import local_storages
from tests.catalogue.uploads_support import file_sha256, send_chunks, wait_finished
from tests.recordings.support import FLAC, VIDEO

pytestmark = pytest.mark.services("postgres", "redis")


@pytest.fixture(scope="module")
def staging(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("recording-uploads")
    return {"media": root / "media", "staging": root / "staging"}


@pytest.fixture(scope="module")
def worker(start_worker, staging):
    return start_worker(
        "recordings",
        S3_BUCKET="",
        MEDIA_ROOT=str(staging["media"]),
        UPLOAD_STAGING_DIR=str(staging["staging"]),
    )


def upload(session, base: str, image_set, path: Path, at_start=None, **choice) -> dict:
    body = {"file_name": path.name, "size": path.stat().st_size, "sha256": file_sha256(path)}
    body.update(at_start or {})
    answer = session.post(f"{base}/api/v1/image-sets/{image_set.pk}/uploads/", json=body)
    assert answer.status_code == 201, answer.text
    url = answer.json()["url"]
    send_chunks(session, url, path, 0, 256 * 1024)
    assert session.post(f"{url}complete/", json=choice).status_code == 202
    return wait_finished(session, url)


def test_the_worker_ingests_uploaded_recordings(
    worker, settings, staging, live_server, transactional_db
):
    settings.STORAGES = local_storages(staging["media"])
    settings.UPLOAD_STAGING_DIR = staging["staging"]
    settings.SEARCH_URL = ""
    settings.UPLOAD_QUEUE = worker.queue
    owner = get_user_model().objects.create_user("station-owner")
    image_set = services.create_image_set(title="Station", owner=owner, actor=SYSTEM)
    _token, secret = tokens.create_token(user=owner, name="rec", scopes=("read", "write"))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {secret}"
    for path, choice in ((FLAC, {}), (VIDEO, {"frame_rate": 2})):
        report = upload(session, live_server.url, image_set, path, **choice)
        assert report["state"] == "done", report
        assert report["batch"]["added"] == 1 and report["batch"]["rejected"] == [], report
    audio = Recording.objects.get(image_set=image_set, kind="audio")
    video = Recording.objects.get(image_set=image_set, kind="video")
    assert audio.images.count() == 3  # 10 s segments of 30 s
    assert video.images.count() == 12  # two frames a second of 6 s, as the upload chose
    assert video.derivation["rate"] == 2.0 and video.derivation["chosen_by"] == "upload"
    wrong = session.post(
        f"{live_server.url}/api/v1/image-sets/{image_set.pk}/uploads/",
        json={"file_name": "x.mp4", "size": 10},
    ).json()["url"]
    refused = session.post(f"{wrong}complete/", json={"frame_rate": 0, "sha256": "0" * 64})
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"frame_rate"}

    # The choice may come with the start, as the sha256 may; a completion that
    # chooses otherwise is refused by field, one that says nothing keeps it.
    second = services.create_image_set(title="Station 2", owner=owner, actor=SYSTEM)
    body = {"file_name": "x.mp4", "size": 10, "frame_rate": 1}
    started = session.post(f"{live_server.url}/api/v1/image-sets/{second.pk}/uploads/", json=body)
    assert started.json()["frame_sampling"] == "1 frame a second"
    other = session.post(
        f"{started.json()['url']}complete/", json={"scene_threshold": 0.3, "sha256": "0" * 64}
    )
    assert other.status_code == 409 and set(other.json()["errors"]) == {"scene_threshold"}
    assert "differs from 1 frame a second, chosen at the start" in other.text
    session.delete(started.json()["url"])
    report = upload(session, live_server.url, second, VIDEO, at_start={"frame_rate": 1})
    assert report["state"] == "done" and report["frame_sampling"] == "1 frame a second"
    chosen = Recording.objects.get(image_set=second, kind="video")
    assert chosen.images.count() == 6 and chosen.derivation["chosen_by"] == "upload"
    for recording in (audio, video):
        for image in recording.images.all():
            assert (staging["media"] / image.storage_key).is_file()
        assert (staging["media"] / recording.storage_key).read_bytes() == (
            FLAC if recording.kind == "audio" else VIDEO
        ).read_bytes()
