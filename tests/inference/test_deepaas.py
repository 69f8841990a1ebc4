"""The DEEPaaS runner against a local server that speaks the DEEPaaS v2 API
(a fake for a remote AI4OS module: POST /v2/models/<name>/predict/ with the
file as multipart `data`, JSON back; 4xx for bad requests, 5xx on failures)."""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inference.models import ModelVersion, Prediction
from inference.runners import DeepaasError, DeepaasRunner
from inference.services import register_model_version, start_job
from inference.services.batches import TransientBatchError, process_batch
from tests.inference.conftest import demo_images, make_set

pytestmark = pytest.mark.django_db

MODULE = "phytoplankton"


class DeepaasHandler(BaseHTTPRequestHandler):
    mode = "ok"
    received: list = []

    def log_message(self, *args):
        pass

    def reply(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        if self.path != f"/v2/models/{MODULE}/predict/":
            return self.reply(404, {"message": f"model not found: {self.path}"})
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw
        )
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        if "data" not in parts:
            return self.reply(422, {"json": {"data": ["Missing data for required field."]}})
        payload = parts["data"].get_payload(decode=True)
        self.received.append(len(payload))
        if self.mode == "error":
            return self.reply(500, {"message": "model crashed"})
        if self.mode == "slow":
            time.sleep(2)
        if not payload.startswith(b"\xff\xd8"):
            return self.reply(400, {"message": "data is not an image"})
        # planktonclas' answer shape: parallel lists, best first.
        return self.reply(
            200,
            {
                "filenames": ["image.jpg"],
                "pred_lab": ["Tripos", "Ciliophora"],
                "pred_prob": [0.8, 0.2],
            },
        )


@pytest.fixture
def deepaas():
    DeepaasHandler.mode = "ok"
    DeepaasHandler.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), DeepaasHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def remote_version(url: str, name: str = MODULE, timeout: float = 5) -> ModelVersion:
    return register_model_version(
        name="ai4os-phytoplankton",
        task="classification",
        licence="Apache-2.0",
        version=f"remote-{uuid.uuid4().hex[:8]}",
        framework=ModelVersion.Framework.DEEPAAS,
        labels=[],
        endpoint={"url": url, "name": name, "timeout": timeout},
    )


def image_bytes() -> bytes:
    return demo_images(1)[0].read_bytes()


def test_a_prediction_comes_back_from_the_module(deepaas):
    runner = DeepaasRunner(remote_version(deepaas))
    [found] = runner.predict([runner.decode(image_bytes())])
    assert found == [
        {"label": "Tripos", "confidence": 0.8, "scores": {"Tripos": 0.8, "Ciliophora": 0.2}}
    ]
    assert DeepaasHandler.received == [len(image_bytes())]


def test_a_bad_request_is_not_retried(deepaas):
    runner = DeepaasRunner(remote_version(deepaas))
    with pytest.raises(DeepaasError) as error:
        runner.predict_one(b"GIF89a not a jpeg")
    assert error.value.status == 400 and not error.value.transient
    wrong = DeepaasRunner(remote_version(deepaas + "/", name="nope"))
    with pytest.raises(DeepaasError) as error:
        wrong.predict_one(image_bytes())
    assert error.value.status == 404 and not error.value.transient


def test_server_errors_and_timeouts_are_transient(deepaas, closed_port):
    DeepaasHandler.mode = "error"
    with pytest.raises(DeepaasError) as error:
        DeepaasRunner(remote_version(deepaas)).predict_one(image_bytes())
    assert error.value.status == 500 and error.value.transient
    DeepaasHandler.mode = "slow"
    with pytest.raises(DeepaasError, match=r"no answer in 0\.5 s") as error:
        DeepaasRunner(remote_version(deepaas, timeout=0.5)).predict_one(image_bytes())
    assert error.value.transient
    with pytest.raises(DeepaasError, match="cannot connect") as error:
        DeepaasRunner(remote_version(f"http://127.0.0.1:{closed_port}")).predict_one(image_bytes())
    assert error.value.transient


def test_a_job_on_a_remote_module(deepaas, tmp_path, owner):
    image_set = make_set(tmp_path, 3, owner=owner)
    version = remote_version(deepaas)
    job = start_job(version, {"image_set": image_set.pk}, owner)
    batch = job.batches.get()
    DeepaasHandler.mode = "error"
    with pytest.raises(TransientBatchError):
        process_batch(batch.pk)  # the task retries it later
    batch.refresh_from_db()
    assert batch.state == "pending" and "HTTP 500" in batch.error
    DeepaasHandler.mode = "ok"
    process_batch(batch.pk)
    job.refresh_from_db()
    assert job.state == "done"
    assert list(Prediction.objects.values_list("label", flat=True)) == ["Tripos"] * 3
