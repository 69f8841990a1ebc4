"""Running one batch of a job: claim it, run the model over its images, write
the results, close the job when it was the last.

A task may be delivered more than once (`acks_late`: a worker killed mid-batch
leaves its message to be redelivered), so `process_batch` is idempotent: images
that already have this version's result are not run again, results are written
with `ignore_conflicts` on their unique key, enrichment skips images that
already carry this version, and each delivery is counted so a batch that keeps
killing workers gives up after INFERENCE_MAX_DELIVERIES. A remote runner that
is down (a transient error) puts the batch back for the task to retry.

A job of a feature extractor (task `embedding`) runs the same way but writes
one `ImageEmbedding` per image instead of predictions, and enriches nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import torch
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from catalogue.models import Image
from inference.models import InferenceJob, JobBatch, ModelVersion
from inference.runners import Decoded, Output, Runner, RunnerError, runner_for
from inference.selectors import done_ids, is_embedder
from inference.services import enrichment
from inference.services.jobs import Batch, Job, finish_if_complete


class TransientBatchError(Exception):
    """The batch could not run now (remote down); the task retries it later."""


def process_batch(batch_id: int) -> dict:
    """Run one batch; safe to call again for the same batch at any point."""
    with transaction.atomic():
        batch = JobBatch.objects.select_for_update().select_related("job").get(pk=batch_id)
        job = batch.job
        if batch.state in (Batch.DONE, Batch.FAILED, Batch.SKIPPED):
            return {"batch": batch_id, "state": batch.state, "redelivered": True}
        if job.state == Job.CANCELLED:
            batch.state = Batch.SKIPPED
            batch.save(update_fields=["state", "updated"])
            return {"batch": batch_id, "state": batch.state}  # the job was closed by cancel
        batch.deliveries += 1
        if batch.deliveries > settings.INFERENCE_MAX_DELIVERIES:
            version = job.model_version
            missing = sorted(set(batch.image_ids) - done_ids(version, batch.image_ids))
            batch.state, batch.failed_image_ids = Batch.FAILED, missing
            batch.error = (
                f"gave up after {batch.deliveries - 1} deliveries (the worker died each time)"
            )
            batch.save()
            result = {"batch": batch_id, "state": batch.state}
        else:
            result = None
            batch.state = Batch.RUNNING
            batch.save(update_fields=["state", "deliveries", "updated"])
            InferenceJob.objects.filter(pk=job.pk, state=Job.QUEUED).update(
                state=Job.RUNNING, started=timezone.now()
            )
    if result is not None:
        finish_if_complete(job.pk)
        return result
    try:
        return run_claimed(batch_id, job, batch.image_ids)
    except TransientBatchError:
        raise
    except Exception as error:
        # Anything unforeseen (a bug, the database gone) must not leave the batch
        # "running" for ever, and its job with it: it fails, naming the error.
        fail_unexpectedly(batch_id, job, batch.image_ids, error)
        raise


def fail_unexpectedly(batch_id: int, job: InferenceJob, image_ids: list[int], error) -> None:
    reason = f"unexpected error: {type(error).__name__}: {error}"[:5000]
    try:
        done = done_ids(ModelVersion.objects.get(pk=job.model_version_id), image_ids)
    except Exception:  # the database may be what failed: count every image as failed
        done = set()
    JobBatch.objects.filter(pk=batch_id, state=Batch.RUNNING).update(
        state=Batch.FAILED,
        error=reason,
        failed_image_ids=sorted(set(image_ids) - done),
        updated=timezone.now(),
    )
    finish_if_complete(job.pk)


def run_claimed(batch_id: int, job: InferenceJob, image_ids: list[int]) -> dict:
    """The work of a batch this delivery has claimed (state running)."""
    version = ModelVersion.objects.select_related("model").get(pk=job.model_version_id)
    failed: dict[int, str] = {}
    try:
        results = run_images(version, image_ids, failed)
    except RunnerError as error:
        if error.transient:
            JobBatch.objects.filter(pk=batch_id).update(state=Batch.PENDING, error=str(error))
            raise TransientBatchError(str(error)) from error
        results = {}
        done = done_ids(version, image_ids)
        failed.update({i: str(error) for i in image_ids if i not in done})

    with transaction.atomic():
        if is_embedder(version):
            enrichment.write_embeddings(version, job, results)
        else:
            enrichment.write_predictions(version, job, results)
            enrichment.enrich_images(version, image_ids)
        batch = JobBatch.objects.select_for_update().get(pk=batch_id)
        batch.failed_image_ids = sorted(failed)
        batch.error = "; ".join(f"image {i}: {reason}" for i, reason in sorted(failed.items()))[
            :5000
        ]
        batch.state = Batch.FAILED if failed else Batch.DONE
        batch.save()
    finish_if_complete(job.pk)
    return {"batch": batch_id, "state": batch.state, "predicted": len(results)}


def run_images(
    version: ModelVersion, image_ids: list[int], failed: dict[int, str]
) -> dict[int, Output]:
    """Read, decode and predict the images of a batch that lack this version's
    results, a forward batch at a time. Reading and decoding run in a thread pool
    ahead of the model where the model leaves cores free for it (PIL and torch
    both release the GIL), else between forward passes (`decode_threads`).
    Unreadable images are reported in `failed`, not fatal."""
    done = done_ids(version, image_ids)
    todo = Image.objects.filter(pk__in=[i for i in image_ids if i not in done]).order_by("pk")
    runner = runner_for(version)
    pause = settings.INFERENCE_TEST_SLEEP_PER_IMAGE

    def read(storage_key: str) -> Decoded:
        with default_storage.open(storage_key, "rb") as handle:
            return runner.decode(handle.read())

    results: dict[int, Output] = {}
    chunk: list[Decoded] = []
    ids: list[int] = []
    threads = decode_threads(runner)
    with ThreadPoolExecutor(max(1, threads)) as pool:
        keys = list(todo.values_list("pk", "storage_key"))
        pending: Iterable[tuple[int, Future | None, str]] = (
            [(pk, pool.submit(read, key), key) for pk, key in keys]
            if threads
            else [(pk, None, key) for pk, key in keys]
        )
        for pk, future, key in pending:
            if pause:
                time.sleep(pause)
            try:
                chunk.append(future.result() if future is not None else read(key))
            except Exception as error:  # one bad file must not fail the batch
                failed[pk] = f"cannot read or decode: {error}"
                continue
            ids.append(pk)
            if len(chunk) == runner.batch_size:
                results.update(zip(ids, runner.predict(chunk), strict=True))
                chunk, ids = [], []
        if chunk:
            results.update(zip(ids, runner.predict(chunk), strict=True))
    return results


def decode_threads(runner: Runner) -> int:
    """INFERENCE_DECODE_THREADS, or 0 (decode between forward passes) where a
    model on the CPU already runs as many threads as there are cores: decoding
    alongside it would only take cores from its threads, which wait for one
    another at every layer."""
    threads = settings.INFERENCE_DECODE_THREADS
    device = getattr(runner, "device", None)
    busy = torch.get_num_threads() + threads > (os.cpu_count() or 1)
    if device is not None and device.type == "cpu" and busy:
        return 0
    return threads
