"""Query by an uploaded image: web processes run no model, so a worker computes
the embedding (task `inference.embed_query_image`) while the request waits a few
seconds for it."""

from __future__ import annotations

import base64

import numpy as np
from celery import current_app
from celery.exceptions import TimeoutError as ResultTimeout
from django.conf import settings

from catalogue.errors import FieldError
from inference import vectors
from inference.models import ModelVersion, Task

EMBED_TASK = "inference.embed_query_image"
MAX_BYTES = 10 * 2**20


class UploadedImageError(FieldError):
    """The uploaded image cannot be used; `field` is "file"."""


class NothingToCompare(LookupError):
    """No image of the catalogue has an embedding yet."""


class EmbeddingUnavailable(LookupError):
    """No worker embedded the upload in time."""


def query_embedder() -> ModelVersion:
    """The newest embedder version that has embedded images (they are what an
    upload is compared with)."""
    version = (
        ModelVersion.objects.select_related("model")
        .filter(model__task=Task.EMBEDDING, embeddings__isnull=False)
        .order_by("-created", "-pk")
        .first()
    )
    if version is None:
        raise NothingToCompare("no image has been embedded yet")
    return version


def embed_upload(data: bytes) -> tuple[ModelVersion, np.ndarray]:
    """The embedder and the uploaded image's vector, computed by a worker."""
    if not data:
        raise UploadedImageError("file", "is empty")
    if len(data) > MAX_BYTES:
        raise UploadedImageError("file", f"is larger than {MAX_BYTES} bytes")
    version = query_embedder()
    result = current_app.send_task(
        EMBED_TASK,
        args=[version.pk, base64.b64encode(data).decode("ascii")],
        queue=settings.INFERENCE_QUEUE or settings.CELERY_TASK_DEFAULT_QUEUE,
    )
    wait = settings.SIMILARITY_UPLOAD_WAIT_SECONDS
    try:
        answer = result.get(timeout=wait)
    except ResultTimeout as error:
        raise EmbeddingUnavailable(f"no worker embedded the image within {wait:g} s") from error
    finally:
        result.forget()
    if "error" in answer:
        raise UploadedImageError("file", answer["error"])
    return version, vectors.to_array(base64.b64decode(answer["vector"]))
