"""Inference jobs: start one over a selection (or the missing embeddings), cancel,
retry, and close it once its last batch has run.

A job is split into batches (rows) and one Celery task per batch, sent once the
job is committed; inference.services.batches runs a batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalogue.errors import FieldError
from catalogue.models import Image
from inference.ann import maintain
from inference.models import ImageEmbedding, InferenceJob, JobBatch, ModelVersion
from inference.numerics.policy import measured_speed
from inference.selectors import SelectionError, is_embedder, selected_image_ids
from inference.services import enrichment
from inference.services.registry import register_embedder

# A task carries about this many seconds of model time when the verified speed is
# known: a fast model's images then share one task's claim, writes and commit
# instead of paying them per INFERENCE_BATCH_SIZE images; a slow one keeps
# INFERENCE_BATCH_SIZE, so progress and a redelivery stay small.
TASK_SECONDS = 2.0
MAX_TASK_IMAGES = 1024

Job = InferenceJob.State
Batch = JobBatch.State
ACTIVE = (Batch.PENDING, Batch.RUNNING)


class JobError(FieldError):
    """A job cannot be started or changed; `field` names the input at fault
    ("non_field_errors" when it is the job itself)."""


def start_job(
    model_version: ModelVersion,
    selection: dict,
    user,
    *,
    batch_size: int | None = None,
    allow_empty: bool = True,
    system: bool = False,
) -> InferenceJob:
    """Split the selected images (those `user` may see; any image for a `system`
    job) into batches and queue one task per batch on the inference queue, once
    the job is committed. `allow_empty=False` refuses a selection of nothing.
    Without `batch_size`, each task's size follows the version's verified
    speed (`task_size`)."""
    batch_size = batch_size or task_size(model_version)
    if batch_size < 1:
        raise JobError("batch_size", "must be 1 or more")
    try:
        ids = selected_image_ids(selection, user, system=system)
    except SelectionError as error:
        raise JobError(error.field, error.reason) from error
    if not ids and not allow_empty:
        raise JobError("selection", "selects no image you may see")
    with transaction.atomic():
        job = InferenceJob.objects.create(
            model_version=model_version,
            selection=selection,
            created_by=user if user is not None and user.is_authenticated else None,
            total=len(ids),
            batch_size=batch_size,
        )
        batches = JobBatch.objects.bulk_create(
            JobBatch(
                job=job,
                number=n,
                image_ids=ids[i : i + batch_size],
                size=len(ids[i : i + batch_size]),
            )
            for n, i in enumerate(range(0, len(ids), batch_size))
        )
        if not batches:
            job.state, job.finished = Job.DONE, timezone.now()
            job.save(update_fields=["state", "finished"])
        batch_ids = [batch.pk for batch in batches]
        transaction.on_commit(lambda: send_batches(batch_ids))
    return job


def task_size(version: ModelVersion) -> int:
    """Images per task: TASK_SECONDS of the verified speed, in whole forward
    batches of INFERENCE_BATCH_SIZE, at least one and at most MAX_TASK_IMAGES;
    INFERENCE_BATCH_SIZE before verification."""
    forward = settings.INFERENCE_BATCH_SIZE
    speed = measured_speed(version)
    if speed is None:
        return forward
    batches = int(speed * TASK_SECONDS) // forward
    return min(max(forward, batches * forward), max(forward, MAX_TASK_IMAGES))


def start_embedding(
    image_ids: Iterable[int] | None = None, *, user=None, batch_size: int | None = None
) -> InferenceJob | None:
    """Queue one embedding job for the images (default: every image) that lack the
    current embedder's vector and are not already waiting in one of its jobs; None
    when none is left. With no user this is a system job (the demo loader, an
    operator), which may embed any image."""
    version = register_embedder()
    images = Image.objects.exclude(
        pk__in=ImageEmbedding.objects.filter(model_version=version).values("image_id")
    )
    if image_ids is not None:
        images = images.filter(pk__in=list(image_ids))
    waiting = {
        i
        for ids in JobBatch.objects.filter(
            job__model_version=version, job__state__in=(Job.QUEUED, Job.RUNNING), state__in=ACTIVE
        ).values_list("image_ids", flat=True)
        for i in ids
    }
    missing = [i for i in images.order_by("pk").values_list("pk", flat=True) if i not in waiting]
    if not missing:
        return None
    return start_job(
        version, {"image_ids": missing}, user, batch_size=batch_size, system=user is None
    )


def send_batches(batch_ids: list[int]) -> None:
    """One task per batch, on the inference queue."""
    from inference.tasks import run_batch  # noqa: PLC0415 - true cycle: tasks imports services

    queue = settings.INFERENCE_QUEUE or settings.CELERY_TASK_DEFAULT_QUEUE
    for batch_id in batch_ids:
        run_batch.apply_async(args=[batch_id], queue=queue)


def cancel_job(job: InferenceJob) -> InferenceJob:
    """Stop a job: batches not yet started are skipped when their task arrives;
    a batch already running finishes (its predictions are kept)."""
    with transaction.atomic():
        job = InferenceJob.objects.select_for_update().get(pk=job.pk)
        if job.state in (Job.QUEUED, Job.RUNNING):
            job.state, job.finished = Job.CANCELLED, timezone.now()
            job.save(update_fields=["state", "finished"])
            job.batches.filter(state=Batch.PENDING).update(state=Batch.SKIPPED)
    return job


def retry_job(job: InferenceJob) -> InferenceJob:
    """Send the failed (and cancelled) batches again; images already predicted
    are not run twice."""
    with transaction.atomic():
        job = InferenceJob.objects.select_for_update().get(pk=job.pk)
        if job.state in (Job.QUEUED, Job.RUNNING):
            raise JobError("state", "the job is still running")
        again = list(job.batches.filter(state__in=[Batch.FAILED, Batch.SKIPPED]))
        if not again:
            return job
        JobBatch.objects.filter(pk__in=[b.pk for b in again]).update(
            state=Batch.PENDING, deliveries=0, failed_image_ids=[], error=""
        )
        job.state, job.finished, job.error = Job.RUNNING, None, ""
        job.save(update_fields=["state", "finished", "error"])
        batch_ids = [b.pk for b in again]
        transaction.on_commit(lambda: send_batches(batch_ids))
    return job


def finish_if_complete(job_id: int) -> None:
    """When no batch is left to run, close the job, aggregate its results and
    enrich its sets."""
    with transaction.atomic():
        job = InferenceJob.objects.select_for_update().get(pk=job_id)
        if job.batches.filter(state__in=ACTIVE).exists():
            return
        if job.state in (Job.DONE, Job.FAILED):
            return
        failed = job.batches.filter(state=Batch.FAILED)
        if job.state != Job.CANCELLED:
            job.state = Job.FAILED if failed.exists() else Job.DONE
            job.error = "; ".join(b.error for b in failed if b.error)[:5000]
        job.finished = job.finished or timezone.now()
        job.summary = enrichment.aggregate(job)
        job.save(update_fields=["state", "error", "finished", "summary"])
        if is_embedder(job.model_version):
            # Vectors describe no set: nothing to enrich; the similarity index takes them.
            transaction.on_commit(partial(maintain.request_update, job.model_version_id))
            return
        enrichment.enrich_sets(job)
