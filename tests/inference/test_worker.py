"""Jobs in real worker processes: the whole path, and a worker killed with
SIGKILL in the middle of a batch."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from inference.models import InferenceJob, JobBatch, Prediction
from inference.selectors import job_progress
from inference.services import start_job
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


def test_a_job_runs_in_a_worker_on_the_inference_queue(start_worker, settings, tmp_path, owner):
    worker = start_worker("inference")
    settings.INFERENCE_QUEUE = worker.queue
    image_set = make_set(tmp_path, 10, owner=owner)
    job = start_job(register_shipped(), {"image_set": image_set.pk}, owner, batch_size=4)
    wait_for(lambda: InferenceJob.objects.get(pk=job.pk).state == "done", 120, "the job to finish")
    job.refresh_from_db()
    assert job_progress(job)["processed"] == 10
    assert Prediction.objects.filter(job=job).count() == 10
    assert job.summary["sets"][str(image_set.pk)]["images"] == 10


def test_a_job_survives_kill_9_of_its_worker_mid_batch(start_worker, settings, tmp_path, owner):
    env = {"INFERENCE_TEST_SLEEP_PER_IMAGE": "0.5", "CELERY_VISIBILITY_TIMEOUT": "6"}
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
