"""A remote AI4OS module behind the DEEPaaS API (v2) as a runner.

The version's endpoint names the server (`url`) and the model it serves
(`name`); the runner first asks `GET {url}/v2/models/` which models are there
and refuses a name the server does not serve. Each image is then sent as
`POST {url}/v2/models/{name}/predict/`, the file itself as the multipart field
`data` with its real media type, and the JSON answer is read as a
classification or, for a detection model, as boxes in the image's pixels, or for
a segmentation model as outlines in them (DEEPaaS leaves the answer's schema to
each module: `deepaas_answers.py` reads the shapes AI4OS modules use).

Errors: a 4xx answer or an answer we cannot read is the request's or the
module's fault and is not retried. A refused connection, a 5xx or 429 answer is
retried here a few times with a short pause, then raised as transient, so the
job's task retries the batch later with its own backoff; a timeout is raised as
transient at once (the module is busy: waiting here again would only hold the
worker).
"""

from __future__ import annotations

import io
import mimetypes
import time
from typing import Any

import requests
import torch
from PIL import Image as PILImage

from inference.deepaas_answers import AnswerError, read_answer
from inference.models import ModelVersion
from inference.runner_base import Decoded, Runner, RunnerError

__all__ = ["AnswerError", "DeepaasError", "DeepaasRunner", "DeepaasTimeout", "read_answer"]

RETRY_PAUSE = 0.5  # seconds before the first retry; doubled for each next one


class DeepaasError(RunnerError):
    def __init__(self, message: str, *, status: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.transient = transient


class DeepaasTimeout(DeepaasError):
    def __init__(self, message: str):
        super().__init__(message, transient=True)


def media_type(image: PILImage.Image) -> str:
    return PILImage.MIME.get(image.format or "", "application/octet-stream")


class DeepaasRunner(Runner):
    batch_size = 8

    def __init__(self, version: ModelVersion, *, session: requests.Session | None = None):
        super().__init__(version)
        endpoint = version.endpoint or {}
        self.url = str(endpoint["url"]).rstrip("/")
        self.name = str(endpoint["name"])
        self.timeout = float(endpoint.get("timeout", 30))
        self.field = str(endpoint.get("field", "data"))
        self.attempts = max(1, int(endpoint.get("attempts", 3)))
        self.task = version.model.task
        self.session = session or requests.Session()
        self.metadata = self.discover()

    def discover(self) -> dict:
        """The served model's metadata from `GET /v2/models/`; a model the server
        does not serve is refused, naming those it does."""
        url = f"{self.url}/v2/models/"
        body = self.request("GET", url)
        models = body.get("models") if isinstance(body, dict) else None
        if not isinstance(models, list):
            raise DeepaasError(f"{url}: the answer has no list of models")
        served = {str(m.get("id") or m.get("name")): m for m in models if isinstance(m, dict)}
        if self.name not in served:
            raise DeepaasError(
                f"{url}: no model {self.name!r} is served here "
                f"(served: {', '.join(sorted(served)) or 'none'})",
                status=404,
            )
        return served[self.name]

    def decode(self, data: bytes) -> Decoded:
        with PILImage.open(io.BytesIO(data)) as image:
            width, height = image.size
            kind = media_type(image)
        return Decoded(torch.empty(0), width, height, raw=data, media_type=kind)

    def predict(self, images: list[Decoded]) -> list[list[dict]]:
        return [self.predict_one(image) for image in images]

    def predict_one(self, image: Decoded) -> list[dict]:
        url = f"{self.url}/v2/models/{self.name}/predict/"
        kind = image.media_type or "application/octet-stream"
        filename = "image" + (mimetypes.guess_extension(kind) or "")
        body = self.request("POST", url, files={self.field: (filename, image.raw or b"", kind)})
        try:
            return read_answer(body, task=self.task, width=image.width, height=image.height)
        except AnswerError as error:
            raise DeepaasError(f"{url}: {error}") from error

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """The JSON answer, after retrying what a retry may help."""
        for attempt in range(self.attempts):
            try:
                return self.send(method, url, **kwargs)
            except DeepaasError as error:
                last = attempt + 1 == self.attempts
                if not error.transient or isinstance(error, DeepaasTimeout) or last:
                    raise
            time.sleep(RETRY_PAUSE * 2**attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    def send(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(
                method,
                url,
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                **kwargs,
            )
        except requests.Timeout as error:
            raise DeepaasTimeout(f"{url}: no answer in {self.timeout:g} s") from error
        except requests.ConnectionError as error:
            raise DeepaasError(f"{url}: cannot connect ({error})", transient=True) from error
        if response.status_code >= 400:
            raise DeepaasError(
                f"{url}: HTTP {response.status_code}: {response.text[:500]}",
                status=response.status_code,
                transient=response.status_code >= 500 or response.status_code == 429,
            )
        try:
            return response.json()
        except ValueError as error:
            raise DeepaasError(f"{url}: the answer is not JSON") from error
