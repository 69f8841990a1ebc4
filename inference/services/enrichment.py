"""From model outputs to stored results: prediction and embedding rows, predicted
annotations on images, and per-set summaries (set enrichments).

The images' and sets' catalogue rows are written through
catalogue.services.enrichment; this module decides what goes there and keeps
the inference tables (predictions, embeddings, changes between versions, set
enrichments).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from catalogue.models import Image
from catalogue.services.enrichment import record_predictions, record_set_summaries
from curation.services import predictions as predicted_annotations
from inference import vectors
from inference.models import (
    ImageEmbedding,
    InferenceJob,
    ModelVersion,
    Prediction,
    PredictionChange,
    SetEnrichment,
    Task,
)
from inference.selectors import done_ids, is_embedder


def write_predictions(version: ModelVersion, job: InferenceJob, results: dict) -> None:
    """Prediction rows, ranked per image; a redelivered batch's rows conflict and
    are ignored."""
    rows = [
        Prediction(
            image_id=image_id,
            model_version=version,
            job=job,
            rank=rank,
            label=found["label"],
            confidence=float(found["confidence"]),
            box=found.get("box"),
            polygon=found.get("polygon"),
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


def enrich_images(version: ModelVersion, image_ids: list[int]) -> list[int]:
    """Put this version's predictions on the images: as entries of
    `fields["predictions"]` (one per box or class, with provenance), replacing an
    older version's of the same model and recording the change
    (PredictionChange), and as predicted annotations with their review queue
    (curation.services.predictions). Images already carrying this version are
    left alone. Returns the ids of the images whose fields changed."""
    model = version.model
    predictions = defaultdict(list)
    for p in Prediction.objects.filter(model_version=version, image_id__in=image_ids).order_by(
        "image_id", "rank"
    ):
        predictions[p.image_id].append(p)
    entries = {
        image_id: [
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
            for p in found
        ]
        for image_id, found in predictions.items()
    }
    replaced = record_predictions(model.name, version.version, entries)
    changes = []
    for image_id, mine in replaced.items():
        if not mine:
            continue
        previous = ModelVersion.objects.filter(model=model, version=mine[0]["version"]).first()
        new = entries[image_id]
        if previous is not None and summarise(mine) != summarise(new):
            changes.append(
                PredictionChange(
                    image_id=image_id,
                    model=model,
                    previous_version=previous,
                    new_version=version,
                    before=[brief(e) for e in mine],
                    after=[brief(e) for e in new],
                )
            )
    PredictionChange.objects.bulk_create(changes, ignore_conflicts=True)
    predicted_annotations.record_predictions(version, image_ids)
    return list(replaced)


def brief(entry: dict) -> dict:
    return {k: entry[k] for k in ("label", "confidence", "box") if k in entry}


def summarise(entries: list[dict]) -> Counter:
    return Counter(e["label"] for e in entries)


def enrich_sets(job: InferenceJob) -> None:
    """Store the finished job's per-set summaries as the sets' enrichments by this
    version, and have the sets' search documents rewritten."""
    set_ids = [int(set_id) for set_id in job.summary["sets"]]
    for set_id in set_ids:
        SetEnrichment.objects.update_or_create(
            image_set_id=set_id,
            model_version=job.model_version,
            defaults={"summary": job.summary["sets"][str(set_id)]},
        )
    record_set_summaries(set_ids)


def aggregate(job: InferenceJob) -> dict:
    """Per set: classes with counts and, for detection, the share of images with
    at least one detection (for an embedder: how many images have a vector)."""
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
