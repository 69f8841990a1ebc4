"""Jobs in real worker processes: the whole path, an embedding job, and a worker
killed with SIGKILL in the middle of a batch."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from aquacat.celery import app
from inference.models import ImageEmbedding, InferenceJob, JobBatch, Prediction
from inference.selectors import job_progress, similar_images
from inference.services import register_embedder, start_job
from tests.inference.conftest import make_set, register_shipped

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services("redis")]


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def job_in_worker(start_worker, settings, tmp_path, owner):
    """Runs a job of the model version `register()` gives on a new set of `count`
    images in a worker of its own, and gives the set and the finished job."""

    def run(name: str, count: int, register, batch_size: int):
        worker = start_worker(name)
        settings.INFERENCE_QUEUE = worker.queue
        image_set = make_set(tmp_path, count, owner=owner)
        job = start_job(register(), {"image_set": image_set.pk}, owner, batch_size=batch_size)
        wait_for(
            lambda: InferenceJob.objects.get(pk=job.pk).state == "done", 120, "the job to finish"
        )
        job.refresh_from_db()
        return image_set, job

    return run


def test_a_job_runs_in_a_worker_on_the_inference_queue(job_in_worker):
    image_set, job = job_in_worker("inference", 10, register_shipped, batch_size=4)
    assert job_progress(job)["processed"] == 10
    assert Prediction.objects.filter(job=job).count() == 10
    assert job.summary["sets"][str(image_set.pk)]["images"] == 10


def test_an_embedding_job_runs_in_a_worker(job_in_worker, owner):
    image_set, job = job_in_worker("embedding", 8, register_embedder, batch_size=3)
    assert job_progress(job)["processed"] == 8 and job.batches.count() == 3
    assert ImageEmbedding.objects.filter(job=job).count() == 8
    assert job.summary["sets"][str(image_set.pk)]["embedded_images"] == 8
    query = image_set.images.order_by("pk").first()
    assert len(similar_images(owner, query, limit=20)) == 7


def test_new_images_get_embeddings_after_their_ingest(start_worker, settings, tmp_path, owner):
    """No job started by hand: the ingest's commit queues one, a worker runs it."""
    worker = start_worker("embed-on-ingest")
    settings.INFERENCE_QUEUE = worker.queue
    settings.INFERENCE_EMBED_NEW_IMAGES = True
    image_set = make_set(tmp_path, 5, owner=owner)
    ids = set(image_set.images.values_list("pk", flat=True))
    wait_for(
        lambda: set(ImageEmbedding.objects.values_list("image_id", flat=True)) >= ids,
        120,
        "embeddings of the new images",
    )
    job = InferenceJob.objects.get(model_version__model__task="embedding")
    assert job.created_by is None and job.total == 5
    query = image_set.images.order_by("pk").first()
    assert len(similar_images(owner, query, limit=20)) == 4


def redis_db(url: str) -> int | None:
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        return None
    return int(parsed.path.strip("/") or 0)


@pytest.fixture
def private_broker():
    """A Redis database of this test's own. Its workers restore unacknowledged
    tasks after 6 s: on the shared database they would also redeliver other
    sessions' (and the suite worker's) running tasks. The workers get this URL,
    and this process sends there too (the Celery app's write URL, which
    `send_batches` and the workers' readiness ping use)."""
    shared = os.environ["CELERY_BROKER_URL"]
    taken = {redis_db(shared), redis_db(os.environ.get("CELERY_RESULT_BACKEND", ""))}
    db = random.SystemRandom().choice([n for n in range(2, 16) if n not in taken])
    private = urlparse(shared)._replace(path=f"/{db}").geturl()

    def send_to(url: str | None) -> None:
        # Forget the app's pool without closing it: kombu keeps one pool per broker
        # URL in a global registry, and hands the same one back when we switch back.
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_write_url = url

    send_to(private)
    try:
        yield private
    finally:
        send_to(None)


def test_a_job_survives_kill_9_of_its_worker_mid_batch(
    start_worker, settings, tmp_path, owner, private_broker
):
    env = {
        "INFERENCE_TEST_SLEEP_PER_IMAGE": "0.5",
        "CELERY_VISIBILITY_TIMEOUT": "6",
        "CELERY_BROKER_URL": private_broker,
    }
    first = start_worker("doomed", **env)
    settings.INFERENCE_QUEUE = first.queue
    image_set = make_set(tmp_path, 12, owner=owner)
    job = start_job(register_shipped(), {"image_set": image_set.pk}, owner, batch_size=4)
    wait_for(
        lambda: JobBatch.objects.filter(job=job, state="running").exists(),
        60,
        "a batch to start",
    )
    time.sleep(0.5)  # inside the batch: reading and sleeping over its images
    running = list(JobBatch.objects.filter(job=job, state="running").values_list("pk", flat=True))
    pool = children(first.pid)
    os.kill(first.pid, signal.SIGKILL)
    for pid in pool:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    first.process.wait()
    assert running and JobBatch.objects.filter(pk__in=running, state="running").exists()
    assert Prediction.objects.filter(job=job).count() < 12

    # Another worker on the same queue: the broker redelivers the unacknowledged
    # batches once their visibility timeout has passed.
    start_worker("rescuer", queue=first.queue, **env)
    wait_for(
        lambda: InferenceJob.objects.get(pk=job.pk).state in ("done", "failed"),
        180,
        "the job to finish after the kill",
    )
    job.refresh_from_db()
    assert job.state == "done", job.error
    predictions = list(Prediction.objects.filter(model_version=job.model_version))
    image_ids = sorted(p.image_id for p in predictions)
    assert image_ids == sorted(image_set.images.values_list("pk", flat=True))  # once each
    assert max(JobBatch.objects.filter(pk__in=running).values_list("deliveries", flat=True)) >= 2
    for image in image_set.images.all():
        assert len(image.fields["predictions"]) == 1
