"""Verifying a version's numerics on this worker's device, against fp32, on a
held-out sample: time each variant, compare its outputs with fp32's, keep the
fastest that passes (inference/numerics/policy.py), record it on the card.

Variants: for torch, fp32 and (where the device has native bf16) bf16 autocast,
each with and without channels-last; for ONNX, ONNX Runtime's graph optimisation
levels, against the graph as written; each at the runner's batch size, then
other batch sizes for the best of those. Variants are timed in rounds, each round running every
variant once, and keep their best round, so a burst of load elsewhere does not
favour one of them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from time import perf_counter

import numpy as np
import torch
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from catalogue.models import Image
from inference import segmentation
from inference.models import ModelVersion
from inference.numerics import compare
from inference.numerics.devices import bf16_supported, choose_device, describe, device_key
from inference.numerics.policy import RECORD_KEY, Numerics, thresholds
from inference.onnx_runner import (
    GRAPH_LEVELS,
    OnnxClassificationRunner,
    OnnxDetectionRunner,
    OnnxRunner,
    OnnxSegmentationRunner,
    onnx_device,
)
from inference.runner_base import Decoded, Runner
from inference.runners import (
    ClassificationRunner,
    EmbeddingRunner,
    RunnerError,
    TorchRunner,
    TorchScriptDetectionRunner,
    runner_class,
)
from inference.segmentation_runner import TorchScriptSegmentationRunner

LocalRunner = TorchRunner | OnnxRunner  # the runners whose numerics this worker controls

ROUNDS = 2
MIN_SAMPLE = 8
BATCH_SIZES = {"cpu": (8, 16, 32, 64), "cuda": (32, 64, 128, 256)}
DEMO_IMAGES = Path(settings.BASE_DIR) / "catalogue" / "demo" / "phytoplankton-flowcam" / "images"


def held_out_sample(version: ModelVersion, count: int) -> tuple[list[bytes], str]:
    """Catalogued images outside the version's training set, in a stable order;
    the shipped demo images when the catalogue has fewer than MIN_SAMPLE."""
    images = Image.objects.order_by("pk").only("storage_key")
    if version.training_image_set_id:
        images = images.exclude(image_set_id=version.training_image_set_id)
    sample, source = [], "catalogue"
    for image in images[:count]:
        try:
            with default_storage.open(image.storage_key, "rb") as handle:
                sample.append(handle.read())
        except OSError:
            continue  # a missing file is the fixity rota's business, not ours
    if len(sample) < MIN_SAMPLE:
        source = "catalogue and demo images" if sample else "demo images"
        for path in sorted(DEMO_IMAGES.glob("*/*.jpg"))[: count - len(sample)]:
            sample.append(path.read_bytes())
    return sample, source


def raw_outputs(runner: Runner, images: list[Decoded]):
    """What the comparison reads: probabilities, boxes, unit vectors or score maps."""
    if isinstance(runner, OnnxRunner):
        return onnx_outputs(runner, images)
    if isinstance(runner, EmbeddingRunner):
        return runner.embed(images)
    if isinstance(runner, ClassificationRunner):
        return torch.softmax(runner.forward(images).float(), dim=1).cpu()
    if isinstance(runner, TorchScriptDetectionRunner):
        return [
            {name: output[name].float().cpu() for name in ("boxes", "scores", "labels")}
            for output in runner.forward(images)
        ]
    if isinstance(runner, TorchScriptSegmentationRunner):
        return runner.forward(images).float().cpu()
    return None


def onnx_outputs(runner: OnnxRunner, images: list[Decoded]):
    """An ONNX version's outputs in the torch runners' shapes, empty slots dropped."""
    if isinstance(runner, OnnxClassificationRunner):
        return torch.from_numpy(runner.probabilities(images))
    if isinstance(runner, OnnxDetectionRunner):
        outputs = []
        for boxes, scores, labels in zip(*runner.outputs(images), strict=True):
            filled = labels >= 0
            outputs.append(
                {
                    "boxes": torch.from_numpy(np.ascontiguousarray(boxes[filled])).float(),
                    "scores": torch.from_numpy(np.ascontiguousarray(scores[filled])).float(),
                    "labels": torch.from_numpy(np.ascontiguousarray(labels[filled])),
                }
            )
        return outputs
    if isinstance(runner, OnnxSegmentationRunner):
        return torch.from_numpy(runner.score_maps(images))
    return None


def run_all(runner: Runner, images: list[Decoded]):
    chunks = [
        raw_outputs(runner, images[i : i + runner.batch_size])
        for i in range(0, len(images), runner.batch_size)
    ]
    if isinstance(chunks[0], torch.Tensor):
        return torch.cat(chunks)
    return [output for chunk in chunks for output in chunk]


def measure(runner: LocalRunner, numerics: Numerics, images: list[Decoded]) -> tuple[float, object]:
    runner.use(numerics)
    raw_outputs(runner, images[: numerics.batch_size])  # kernels chosen per shape and format
    start = perf_counter()
    outputs = run_all(runner, images)
    return len(images) / (perf_counter() - start), outputs


def compared(runner: Runner, reference, outputs, images: list[Decoded]) -> dict:
    """Compared as the version's task uses its outputs (torch and ONNX alike)."""
    task = runner.version.model.task
    spec = runner.version.input_spec or {}
    if task == "embedding":
        return compare.embedding(reference, outputs)
    if task == "classification":
        cutoffs = (runner.version.metrics or {}).get("thresholds") or {}
        per_class = [(cutoffs.get(label) or {}).get("confidence") for label in runner.labels]
        return compare.classification(reference, outputs, per_class)
    if task == "detection":
        threshold = float(spec.get("score_threshold", TorchScriptDetectionRunner.threshold))
        return compare.detection(reference, outputs, threshold)
    if task == "segmentation":
        return compare.segmentation(
            reference,
            outputs,
            float(spec.get("mask_threshold", 0.5)),
            list(
                zip(
                    polygon_counts(runner, reference, images),
                    polygon_counts(runner, outputs, images),
                    strict=True,
                )
            ),
        )
    raise RunnerError(f"no comparison for {type(runner).__name__}")


def polygon_counts(runner: Runner, scores: torch.Tensor, images: list[Decoded]) -> list[int]:
    """How many polygons each image's score maps trace to, as a job writes them."""
    return [len(finds) for finds in segmentation.finds_of_batch(scores.numpy(), images, runner)]


def timed_rounds(runner: LocalRunner, variants: list[Numerics], images, reference) -> list[dict]:
    speed = dict.fromkeys(variants, 0.0)
    results: dict[Numerics, dict] = {}
    for _ in range(ROUNDS):
        for numerics in variants:
            images_per_s, outputs = measure(runner, numerics, images)
            speed[numerics] = max(speed[numerics], images_per_s)
            results[numerics] = compared(runner, reference, outputs, images)
    return [{**n.as_dict(), "images_per_s": round(speed[n], 2), **results[n]} for n in variants]


def choose(rows: list[dict], default: Numerics) -> dict:
    """The fastest that passes; fp32 as it was loaded if none does (fp32 with
    channels-last could, in principle, sum in another order)."""
    passing = [row for row in rows if row["passes"]]
    if not passing:
        return next(row for row in rows if Numerics.from_dict(row) == default)
    return max(passing, key=lambda row: row["images_per_s"])


def verify_version(
    version: ModelVersion,
    *,
    device: torch.device | None = None,
    sample: list[bytes] | None = None,
    precisions: tuple[str, ...] | None = None,
) -> dict:
    """Measure, choose, record; `precisions` overrides which are tried (tests)."""
    try:
        cls = runner_class(version)
    except RunnerError:
        cls = None
    if cls is not None and issubclass(cls, OnnxRunner):
        device = onnx_device(device)
    device = device or choose_device()
    key = device_key(device)
    entry: dict = {"device": key, "device_name": describe(device)}
    entry["verified"] = timezone.now().isoformat(timespec="seconds")
    if cls is None or not issubclass(cls, TorchRunner | OnnxRunner):
        skipped = "a remote model, not run by this worker"
        return record(version, key, {**entry, "chosen": None, "skipped": skipped})
    source = "given"
    if sample is None:
        sample, source = held_out_sample(version, settings.INFERENCE_NUMERICS_SAMPLE)
    default, first = variants_of(cls, device, precisions)
    runner = cls(version, device=device, numerics=default)
    images = [runner.decode(data) for data in sample]
    if raw_outputs(runner, images[:1]) is None:
        return record(version, key, {**entry, "chosen": None, "skipped": "no comparison for it"})
    entry["sample"] = {"images": len(images), "source": source}
    entry["thresholds"] = thresholds()
    entry["reference"] = reference_name(default)
    reference = run_all(runner, images)
    rows = timed_rounds(runner, first, images, reference)
    best = Numerics.from_dict(choose(rows, default))
    # Tasks hold whole multiples of INFERENCE_BATCH_SIZE images (jobs.task_size), or
    # exactly it before verification: forward batches stay within that.
    largest = min(len(images), settings.INFERENCE_BATCH_SIZE)
    sizes = [b for b in BATCH_SIZES.get(device.type, ()) if b <= largest and b != best.batch_size]
    rows += timed_rounds(runner, [replace(best, batch_size=b) for b in sizes], images, reference)
    chosen = choose(rows, default)
    baseline = next(row for row in rows if Numerics.from_dict(row) == default)
    # A refused variant of another kind than the reference's (fp32 with
    # channels-last may sum in another order: it is not reported as a fallback).
    kind = default.kind()
    refused = [r for r in rows if not r["passes"] and Numerics.from_dict(r).kind() != kind]
    entry["chosen"] = Numerics.from_dict(chosen).as_dict()
    entry["speedup_over_fp32"] = round(chosen["images_per_s"] / baseline["images_per_s"], 3)
    entry["fallback"] = (
        f"{Numerics.from_dict(refused[0]).kind()} changes results: "
        f"{'; '.join(refused[0]['problems'])}"
        if refused and Numerics.from_dict(chosen).kind() == kind
        else ""
    )
    entry["variants"] = rows
    return record(version, key, entry)


def variants_of(
    cls: type[Runner], device: torch.device, precisions: tuple[str, ...] | None
) -> tuple[Numerics, list[Numerics]]:
    """The reference (and fallback), and the variants tried at its batch size."""
    if issubclass(cls, OnnxRunner):
        written = Numerics(channels_last=False, batch_size=cls.batch_size, graph_optimization="off")
        return written, [replace(written, graph_optimization=level) for level in GRAPH_LEVELS]
    default = Numerics(channels_last=False, batch_size=cls.batch_size)
    if precisions is None:
        precisions = ("fp32", "bf16") if bf16_supported(device) else ("fp32",)
    return default, [
        replace(default, precision=p, channels_last=cl) for p in precisions for cl in (False, True)
    ]


def reference_name(default: Numerics) -> str:
    return "fp32, graph as written" if default.graph_optimization else "fp32"


def record(version: ModelVersion, key: str, entry: dict) -> dict:
    """Kept under metrics["numerics"][device], leaving the card's other metrics alone."""
    with transaction.atomic():
        locked = ModelVersion.objects.select_for_update().get(pk=version.pk)
        metrics = dict(locked.metrics or {})
        metrics[RECORD_KEY] = {**(metrics.get(RECORD_KEY) or {}), key: entry}
        locked.metrics = metrics
        locked.save(update_fields=["metrics"])
    version.metrics = metrics
    return entry
