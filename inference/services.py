"""Every write of the inference app: registering models, running jobs, enrichment.

A job is split into batches (rows) and one Celery task per batch. A task may
be delivered more than once (`acks_late`: a worker killed mid-batch leaves its
message to be redelivered), so `process_batch` is idempotent: images that
already have this version's prediction are not run again, predictions are
written with `ignore_conflicts` on their unique key, enrichment skips images
that already carry this version, and each delivery is counted so a batch that
keeps killing workers gives up after INFERENCE_MAX_DELIVERIES.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalogue.models import Image, ImageSet
from catalogue.search import outbox
from inference.models import (
    AnalyticsModel,
    InferenceJob,
    JobBatch,
    ModelVersion,
    Prediction,
    PredictionChange,
    SetEnrichment,
    Task,
)
from inference.runners import RunnerError, runner_for
from inference.selectors import SelectionError, selected_image_ids

logger = logging.getLogger(__name__)

Job = InferenceJob.State
Batch = JobBatch.State
ACTIVE = (Batch.PENDING, Batch.RUNNING)


class JobError(ValueError):
    pass


# --- registry ---------------------------------------------------------------------------


def register_model_version(
    *,
    name: str,
    task: str,
    licence: str,
    version: str,
    framework: str,
    labels: list[str],
    **fields,
) -> ModelVersion:
    """Create (or update the card of) a model and add a version to it."""
    model_fields = {
        k: fields.pop(k) for k in ("title", "description", "intended_use", "authors") if k in fields
    }
    with transaction.atomic():
        model, _ = AnalyticsModel.objects.update_or_create(
            name=name, defaults={"task": task, "licence": licence, **model_fields}
        )
        model.full_clean()
        model_version = ModelVersion(
            model=model, version=version, framework=framework, labels=labels, **fields
        )
        model_version.full_clean()
        model_version.save()
    return model_version


# --- jobs -------------------------------------------------------------------------------


def start_job(
    model_version: ModelVersion, selection: dict, user, *, batch_size: int | None = None
) -> InferenceJob:
    """Split the selected images (those `user` may see) into batches and queue
    one task per batch on the inference queue, once the job is committed."""
    batch_size = batch_size or settings.INFERENCE_BATCH_SIZE
    if batch_size < 1:
        raise JobError("batch_size: must be 1 or more")
    try:
        ids = selected_image_ids(selection, user)
    except SelectionError as error:
        raise JobError(str(error)) from error
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


def send_batches(batch_ids: list[int]) -> None:
    from inference.tasks import run_batch

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
            raise JobError("state: the job is still running")
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
            missing = sorted(set(batch.image_ids) - predicted_ids(version, batch.image_ids))
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

    version = ModelVersion.objects.select_related("model").get(pk=job.model_version_id)
    failed: dict[int, str] = {}
    try:
        results = run_images(version, batch.image_ids, failed)
    except RunnerError as error:
        if error.transient:
            JobBatch.objects.filter(pk=batch_id).update(state=Batch.PENDING, error=str(error))
            raise TransientBatchError(str(error)) from error
        results = {}
        failed.update(
            {i: str(error) for i in batch.image_ids if i not in predicted_ids(version, [i])}
        )

    with transaction.atomic():
        write_predictions(version, job, results)
        enrich_images(version, batch.image_ids)
        batch = JobBatch.objects.select_for_update().get(pk=batch_id)
        batch.failed_image_ids = sorted(failed)
        batch.error = "; ".join(f"image {i}: {reason}" for i, reason in sorted(failed.items()))[
            :5000
        ]
        batch.state = Batch.FAILED if failed else Batch.DONE
        batch.save()
    finish_if_complete(job.pk)
    return {"batch": batch_id, "state": batch.state, "predicted": len(results)}


def predicted_ids(version: ModelVersion, image_ids) -> set[int]:
    return set(
        Prediction.objects.filter(model_version=version, image_id__in=list(image_ids)).values_list(
            "image_id", flat=True
        )
    )


def run_images(version: ModelVersion, image_ids: list[int], failed: dict) -> dict:
    """Read, decode and predict the images of a batch that lack this version's
    predictions. Unreadable images are reported in `failed`, not fatal."""
    done = predicted_ids(version, image_ids)
    todo = Image.objects.filter(pk__in=[i for i in image_ids if i not in done]).order_by("pk")
    runner = runner_for(version)
    decoded, ids = [], []
    pause = settings.INFERENCE_TEST_SLEEP_PER_IMAGE
    for image in todo.only("pk", "storage_key"):
        if pause:
            time.sleep(pause)
        try:
            with default_storage.open(image.storage_key, "rb") as handle:
                decoded.append(runner.decode(handle.read()))
            ids.append(image.pk)
        except Exception as error:  # one bad file must not fail the batch
            failed[image.pk] = f"cannot read or decode: {error}"
    results = {}
    for start in range(0, len(decoded), runner.batch_size):
        chunk = decoded[start : start + runner.batch_size]
        outputs = runner.predict(chunk)
        results.update(zip(ids[start : start + runner.batch_size], outputs, strict=True))
    return results


def write_predictions(version: ModelVersion, job: InferenceJob, results: dict) -> None:
    rows = [
        Prediction(
            image_id=image_id,
            model_version=version,
            job=job,
            rank=rank,
            label=found["label"],
            confidence=float(found["confidence"]),
            box=found.get("box"),
            scores=found.get("scores", {}),
        )
        for image_id, found_list in results.items()
        for rank, found in enumerate(found_list)
    ]
    Prediction.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)


# --- enrichment -------------------------------------------------------------------------


def enrich_images(version: ModelVersion, image_ids: list[int]) -> list[int]:
    """Put this version's predictions on the images as predicted annotations
    (`fields["predictions"]`, one entry per box or class, with provenance),
    replacing an older version's of the same model and recording the change
    for validation. Images already carrying this version are left alone."""
    model = version.model
    predictions = defaultdict(list)
    for p in Prediction.objects.filter(model_version=version, image_id__in=image_ids).order_by(
        "image_id", "rank"
    ):
        predictions[p.image_id].append(p)
    changed, changes = [], []
    images = Image.objects.select_for_update().filter(pk__in=list(predictions)).order_by("pk")
    for image in images:
        fields = dict(image.fields or {})
        entries = [e for e in fields.get("predictions") or [] if isinstance(e, dict)]
        mine = [e for e in entries if e.get("model") == model.name]
        if any(e.get("version") == version.version for e in mine):
            continue
        new = [
            {
                "model": model.name,
                "version": version.version,
                "task": model.task,
                "label": p.label,
                "confidence": round(p.confidence, 6),
                **({"box": p.box} if p.box is not None else {}),
                "time": p.created.isoformat(),
                "status": "predicted",
            }
            for p in predictions[image.pk]
        ]
        if mine:
            previous = ModelVersion.objects.filter(model=model, version=mine[0]["version"]).first()
            if previous is not None and summarise(mine) != summarise(new):
                changes.append(
                    PredictionChange(
                        image=image,
                        model=model,
                        previous_version=previous,
                        new_version=version,
                        before=[brief(e) for e in mine],
                        after=[brief(e) for e in new],
                    )
                )
        fields["predictions"] = [e for e in entries if e.get("model") != model.name] + new
        image.fields = fields
        image.revision = F("revision") + 1
        image.save(update_fields=["fields", "revision"])
        changed.append(image.pk)
    PredictionChange.objects.bulk_create(changes, ignore_conflicts=True)
    outbox.record("image", changed)
    return changed


def brief(entry: dict) -> dict:
    return {k: entry[k] for k in ("label", "confidence", "box") if k in entry}


def summarise(entries: list[dict]) -> Counter:
    return Counter(e["label"] for e in entries)


def finish_if_complete(job_id: int) -> None:
    """When no batch is left to run, close the job and aggregate its results."""
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
        job.summary = aggregate(job)
        job.save(update_fields=["state", "error", "finished", "summary"])
        for set_id, summary in job.summary["sets"].items():
            SetEnrichment.objects.update_or_create(
                image_set_id=int(set_id),
                model_version=job.model_version,
                defaults={"summary": summary},
            )
            outbox.set_changed(ImageSet(pk=int(set_id)))


def aggregate(job: InferenceJob) -> dict:
    """Per set: classes with counts and, for detection, the share of images with
    at least one detection."""
    version = job.model_version
    image_ids = [i for ids in job.batches.values_list("image_ids", flat=True) for i in ids]
    set_of = dict(Image.objects.filter(pk__in=image_ids).values_list("pk", "image_set_id"))
    sets: dict[int, dict] = {}
    for set_id in set(set_of.values()):
        sets[set_id] = {"images": 0, "predicted_images": 0, "classes": Counter()}
    for set_id in set_of.values():
        sets[set_id]["images"] += 1
    seen = set()
    for image_id, label in Prediction.objects.filter(
        model_version=version, image_id__in=image_ids
    ).values_list("image_id", "label"):
        summary = sets[set_of[image_id]]
        summary["classes"][label] += 1
        if image_id not in seen:
            seen.add(image_id)
            summary["predicted_images"] += 1
    out = {}
    for set_id, summary in sets.items():
        entry = {
            "model": version.model.name,
            "version": version.version,
            "task": version.model.task,
            "images": summary["images"],
            "predicted_images": summary["predicted_images"],
            "classes": dict(summary["classes"].most_common()),
        }
        if version.model.task == Task.DETECTION:
            entry["share_with_detections"] = (
                round(summary["predicted_images"] / summary["images"], 4)
                if summary["images"]
                else 0.0
            )
        out[str(set_id)] = entry
    return {"sets": out}
