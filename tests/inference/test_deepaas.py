"""The DEEPaaS runner against a real DEEPaaS server (`deepaas-run` from PyPI)
serving our two modules, the shipped FlowCam classifier and a small particle
detector; plus what a real server cannot be made to do: never answer, fail
while starting, answer something unreadable."""

from __future__ import annotations

import io
import json
import socket
import uuid
from http.server import BaseHTTPRequestHandler

import pytest
from PIL import Image as PILImage

from inference import training
from inference.deepaas import DeepaasError, DeepaasRunner, DeepaasTimeout
from inference.models import ModelVersion, Prediction
from inference.runners import LinearProbeRunner
from inference.services import register_model_version, start_job
from inference.services.batches import process_batch
from tests.inference.conftest import demo_images, make_set, register_shipped
from tests.inference.deepaas_server import CLASSIFIER, DETECTOR, SEGMENTER, DeepaasServer
from tests.loopback_fake import LoopbackFake

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def server():
    running = DeepaasServer()
    try:
        yield running.wait_ready()
    finally:
        running.stop()


def remote_version(
    url: str, name: str = CLASSIFIER, task: str = "classification", **endpoint
) -> ModelVersion:
    return register_model_version(
        name=f"ai4os-{name}",
        task=task,
        licence="Apache-2.0",
        version=f"remote-{uuid.uuid4().hex[:8]}",
        framework=ModelVersion.Framework.DEEPAAS,
        labels=[],
        endpoint={"url": url, "name": name, "timeout": 30, **endpoint},
    )


def converted(data: bytes, format: str) -> bytes:
    out = io.BytesIO()
    with PILImage.open(io.BytesIO(data)) as image:
        image.save(out, format=format)
    return out.getvalue()


def test_the_served_classifier_answers_as_the_portal_runs_it(server):
    remote = DeepaasRunner(remote_version(server.url))
    assert remote.metadata["labels"] == training.classes()
    local = LinearProbeRunner(register_shipped())
    for path in demo_images(6):
        data = path.read_bytes()
        [[mine]] = local.predict([local.decode(data)])
        [[theirs]] = remote.predict([remote.decode(data)])
        assert theirs["label"] == mine["label"]
        assert theirs["confidence"] == pytest.approx(mine["confidence"], abs=1e-3)
        assert list(theirs["scores"]) == list(mine["scores"])


def test_each_file_goes_with_its_own_media_type(server):
    runner = DeepaasRunner(remote_version(server.url))
    jpeg = demo_images(1)[0].read_bytes()
    [[expected]] = runner.predict([runner.decode(jpeg)])
    for format, media_type in (("PNG", "image/png"), ("TIFF", "image/tiff")):
        decoded = runner.decode(converted(jpeg, format))
        assert decoded.media_type == media_type
        [[found]] = runner.predict([decoded])
        assert found["label"] == expected["label"]
    # The module checks the declared type against the bytes: a refusal, not retried.
    mislabelled = runner.decode(jpeg)
    mislabelled.media_type = "image/png"
    with pytest.raises(DeepaasError, match="the file is image/jpeg, sent as image/png") as error:
        runner.predict_one(mislabelled)
    assert error.value.status == 422 and not error.value.transient


def test_the_detector_answers_boxes_in_the_image_pixels(server):
    runner = DeepaasRunner(remote_version(server.url, name=DETECTOR, task="detection"))
    assert runner.metadata["task"] == "detection"
    for path in demo_images(6):
        decoded = runner.decode(path.read_bytes())
        [[found]] = runner.predict([decoded])
        x0, y0, x1, y1 = found["box"]
        assert 0 <= x0 < x1 <= decoded.width and 0 <= y0 < y1 <= decoded.height
        assert found["label"] in training.classes() and 0 < found["confidence"] <= 1


def test_a_model_the_server_does_not_serve_is_refused(server):
    with pytest.raises(DeepaasError) as error:
        DeepaasRunner(remote_version(server.url + "/", name="plankton-yolo"))
    assert error.value.status == 404 and not error.value.transient
    served = f"(served: {CLASSIFIER}, {DETECTOR}, {SEGMENTER})"
    assert f"no model 'plankton-yolo' is served here {served}" in str(error.value)


@pytest.fixture
def silent_server():
    """A port that takes connections and never answers (a module stuck on a
    request): the kernel completes the handshake, nobody reads."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock


def waiting_connections(sock: socket.socket) -> int:
    sock.setblocking(False)
    count = 0
    while True:
        try:
            sock.accept()[0].close()
        except BlockingIOError:
            return count
        count += 1


def test_a_server_that_does_not_answer_times_out_once(silent_server):
    port = silent_server.getsockname()[1]
    with pytest.raises(DeepaasTimeout, match=r"no answer in 0\.5 s") as error:
        DeepaasRunner(remote_version(f"http://127.0.0.1:{port}", timeout=0.5))
    assert error.value.transient
    assert waiting_connections(silent_server) == 1  # not retried here: the task retries later


class FlakyDeepaas(LoopbackFake):
    """Answers 503 (what the gateway in front of a module answers while it starts)
    for queued failures, then as DEEPaaS: the models list, and `answer` to a
    prediction."""

    answer: object = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.requests += 1
                with fake.lock:
                    failure = fake.failures.pop(0) if fake.failures else None
                if failure:
                    return self.reply(failure[0], {"message": "module starting"})
                return self.reply(200, {"models": [{"id": "broken", "name": "broken"}]})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                return self.reply(200, fake.answer)

        return Handler

    requests = 0


@pytest.fixture
def flaky():
    fake = FlakyDeepaas().start()
    yield fake
    fake.stop()


def test_a_server_failing_while_it_starts_is_asked_again(flaky, closed_port):
    flaky.fail_next(503, times=2)
    runner = DeepaasRunner(remote_version(flaky.url, name="broken"))
    assert runner.metadata["id"] == "broken" and flaky.requests == 3
    flaky.fail_next(503, times=3)
    with pytest.raises(DeepaasError) as error:
        DeepaasRunner(remote_version(flaky.url, name="broken"))
    assert error.value.status == 503 and error.value.transient  # the task retries it later
    with pytest.raises(DeepaasError, match="cannot connect") as error:
        DeepaasRunner(remote_version(f"http://127.0.0.1:{closed_port}", attempts=2))
    assert error.value.transient


def test_a_malformed_answer_is_refused_with_every_problem(flaky, tmp_path, owner):
    flaky.answer = {
        "status": "OK",
        "predictions": [{"label": "Tripos", "probability": "high"}, {"probability": 0.2}],
    }
    runner = DeepaasRunner(remote_version(flaky.url, name="broken"))
    with pytest.raises(DeepaasError) as error:
        runner.predict([runner.decode(demo_images(1)[0].read_bytes())])
    assert not error.value.transient
    assert "prediction 0: confidence 'high' is not a number from 0 to 1" in str(error.value)
    assert "prediction 1: no label (label or name or class)" in str(error.value)

    # In a job: the batch fails with the reason on each image, and is not retried.
    image_set = make_set(tmp_path, 2, owner=owner)
    job = start_job(remote_version(flaky.url, name="broken"), {"image_set": image_set.pk}, owner)
    batch = job.batches.get()
    assert process_batch(batch.pk)["state"] == "failed"
    batch.refresh_from_db()
    assert len(batch.failed_image_ids) == 2 and "confidence 'high'" in batch.error


def test_a_malformed_segmentation_answer_is_refused_with_every_problem(flaky, tmp_path, owner):
    # As the AI4OS YOLOv8 module answers (one `tojson()` text per file), but wrong.
    regions = [
        {"name": "plankton", "class": 0, "confidence": 0.9, "segments": {"x": [1, 9], "y": [1]}},
        {"name": "plankton", "class": 0, "confidence": 0.8, "box": {"x1": 1, "y1": 1}},
    ]
    flaky.answer = {"status": "OK", "predictions": [json.dumps(regions)]}
    version = remote_version(flaky.url, name="broken", task="segmentation")
    runner = DeepaasRunner(version)
    with pytest.raises(DeepaasError) as error:
        runner.predict([runner.decode(demo_images(1)[0].read_bytes())])
    assert not error.value.transient
    assert "region 0: segments {'x': [1, 9], 'y': [1]} are not x and y lists" in str(error.value)
    assert "region 1: no outline (segments {x, y} or polygon [[x, y], ...])" in str(error.value)

    image_set = make_set(tmp_path, 2, owner=owner)
    job = start_job(version, {"image_set": image_set.pk}, owner)
    batch = job.batches.get()
    assert process_batch(batch.pk)["state"] == "failed"
    batch.refresh_from_db()
    assert len(batch.failed_image_ids) == 2 and "region 1: no outline" in batch.error
    assert not Prediction.objects.filter(job=job).exists()
