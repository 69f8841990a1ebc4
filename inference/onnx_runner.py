"""ONNX model versions, run by ONNX Runtime.

Images are decoded and normalised as for the torch runners (the card's input
spec: size, padding, mean, std); the model takes one (N, C, H, W) float32 batch;
a classifier gives (N, classes) logits and a segmenter (N, labels, H, W) scores
in 0..1, as their TorchScript kinds do, so the same card works for both. A
detector gives three outputs by name, each image's findings in a fixed number K
of slots: `boxes` (N, K, 4: x0, y0, x1, y1 in input pixels), `scores` (N, K) and
`labels` (N, K, indices into the card's labels; a negative label is an empty
slot), since an ONNX graph cannot give a list of differently sized results as a
TorchScript detector does; boxes scoring under the card's `score_threshold` are
dropped and the rest carried back to the original image's pixels. ONNX
Runtime's CUDA provider is used when the installed build has it and
INFERENCE_DEVICE does not ask for the CPU.

The numerics are those verified for the version on this kind of device
(inference/numerics/): ONNX Runtime's graph optimisation level (fusions, and at
`all` the blocked memory layout its CPU convolutions run fastest in) and the
batch size; ONNX Runtime's own default (`all`) until verified.
"""

from __future__ import annotations

import numpy as np
import onnxruntime
import torch
from django.conf import settings

from inference import segmentation
from inference.models import ModelVersion
from inference.numerics.devices import choose_device, device_key
from inference.numerics.policy import Numerics, recorded
from inference.runner_base import Decoded, Runner, RunnerError
from inference.runners import verified_weights

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"

# From the graph as written to every optimisation ONNX Runtime has.
GRAPH_LEVELS = {
    "off": onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
}
UNVERIFIED_GRAPH = "all"  # ONNX Runtime's own default


def providers() -> list[str]:
    wanted = settings.INFERENCE_DEVICE
    if CUDA in onnxruntime.get_available_providers() and not wanted.startswith("cpu"):
        return [CUDA, CPU]
    return [CPU]


def onnx_device(device: torch.device | str | None = None) -> torch.device:
    """The device ONNX Runtime will run on: a GPU only where its CUDA provider is
    installed (the CPU-only build runs on the CPU whatever torch sees)."""
    if CUDA not in providers():
        return torch.device("cpu")
    return torch.device(device) if device else choose_device()


class OnnxRunner(Runner):
    def __init__(
        self,
        version: ModelVersion,
        *,
        device: torch.device | str | None = None,
        numerics: Numerics | None = None,
    ):
        super().__init__(version)
        spec = version.input_spec or {}
        mean = np.asarray(spec.get("mean", [0.0, 0.0, 0.0]), dtype=np.float32)
        std = np.asarray(spec.get("std", [1.0, 1.0, 1.0]), dtype=np.float32)
        # Folded into one multiply-add on 0..255 input, as the torch runners do.
        self.scale = (1.0 / (255.0 * std)).reshape(1, -1, 1, 1)
        self.shift = (-mean / std).reshape(1, -1, 1, 1)
        self.device = onnx_device(device)
        self.weights = str(verified_weights(version))
        self.sessions: dict[str, onnxruntime.InferenceSession] = {}
        self.use(numerics or self.verified_numerics())

    def verified_numerics(self) -> Numerics:
        chosen = recorded(self.version, device_key(self.device))
        if chosen is None or chosen.graph_optimization not in GRAPH_LEVELS:
            return Numerics(
                channels_last=False,
                batch_size=type(self).batch_size,
                graph_optimization=UNVERIFIED_GRAPH,
            )
        return chosen

    def use(self, numerics: Numerics) -> None:
        """Batch size and graph optimisation level; one session per level."""
        level = numerics.graph_optimization or UNVERIFIED_GRAPH
        if level not in GRAPH_LEVELS:
            raise RunnerError(f"no ONNX Runtime graph optimisation level {level!r}")
        if level not in self.sessions:
            options = onnxruntime.SessionOptions()
            options.graph_optimization_level = GRAPH_LEVELS[level]
            self.sessions[level] = onnxruntime.InferenceSession(
                self.weights, options, providers=self.session_providers()
            )
        self.numerics = numerics
        self.batch_size = numerics.batch_size
        self.session = self.sessions[level]
        self.input_name = self.session.get_inputs()[0].name

    def session_providers(self) -> list:
        """The providers of a session on this runner's device (the GPU by its index)."""
        if self.device.type == "cuda":
            return [(CUDA, {"device_id": self.device.index or 0}), CPU]
        return [CPU]

    def batch(self, images: list[Decoded]) -> np.ndarray:
        pixels = np.stack([image.pixels.numpy() for image in images]).astype(np.float32)
        return pixels * self.scale + self.shift

    def run(self, images: list[Decoded], names: list[str] | None = None) -> list[np.ndarray]:
        return self.session.run(names, {self.input_name: self.batch(images)})


class OnnxClassificationRunner(OnnxRunner):
    top_k = 3

    def probabilities(self, images: list[Decoded]) -> np.ndarray:
        logits = np.asarray(self.run(images)[0], dtype=np.float64)
        if logits.ndim != 2 or logits.shape[1] != len(self.labels):
            raise RunnerError(
                f"the model gave {list(logits.shape)} for {len(self.labels)} labels; "
                "(N, classes) logits are expected"
            )
        exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exponentials / exponentials.sum(axis=1, keepdims=True)

    def predict(self, images: list[Decoded]) -> list[list[dict]]:
        if not images:
            return []
        probabilities = self.probabilities(images)
        k = min(self.top_k, probabilities.shape[1])
        results = []
        for row in probabilities:
            best = np.argsort(-row, kind="stable")[:k]
            scores = {self.labels[i]: round(float(row[i]), 6) for i in best}
            results.append(
                [
                    {
                        "label": self.labels[best[0]],
                        "confidence": float(row[best[0]]),
                        "scores": scores,
                    }
                ]
            )
        return results


class OnnxSegmentationRunner(OnnxRunner):
    batch_size = 16

    def predict(self, images: list[Decoded]) -> list[list[dict]]:
        if not images:
            return []
        scores = self.score_maps(images)
        try:
            return segmentation.finds_of_batch(scores, images, self)
        except ValueError as error:
            raise RunnerError(str(error)) from error

    def score_maps(self, images: list[Decoded]) -> np.ndarray:
        """(N, labels, H, W) scores in 0..1, as the model gives them."""
        return np.asarray(self.run(images)[0], dtype=np.float32)


class OnnxDetectionRunner(OnnxRunner):
    batch_size = 16

    def predict(self, images: list[Decoded]) -> list[list[dict]]:
        if not images:
            return []
        boxes, scores, labels = self.outputs(images)
        threshold = float((self.version.input_spec or {}).get("score_threshold", 0.0))
        results = []
        for i, image in enumerate(images):
            frame = segmentation.Frame.of(image.width, image.height, self.size, self.pad)
            found = []
            for box, score, label in zip(boxes[i], scores[i], labels[i], strict=True):
                if label < 0 or score < threshold:
                    continue  # an empty slot, or too unsure
                placed = place_box(box, frame)
                if placed is not None:
                    found.append(
                        {"label": self.labels[label], "confidence": float(score), "box": placed}
                    )
            found.sort(key=lambda find: -find["confidence"])
            results.append(found)
        return results

    def outputs(self, images: list[Decoded]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The three outputs, checked against each other and the card's labels."""
        try:
            raw = self.run(images, ["boxes", "scores", "labels"])
        except Exception as error:  # ONNX Runtime raises its own types (a missing output)
            raise RunnerError(f"the detector could not run: {error}") from error
        boxes = np.asarray(raw[0], dtype=np.float64)
        scores = np.asarray(raw[1], dtype=np.float64)
        labels = np.asarray(raw[2])
        count = len(images)
        if (
            boxes.ndim != 3
            or boxes.shape[0] != count
            or boxes.shape[2] != 4
            or scores.shape != boxes.shape[:2]
            or labels.shape != boxes.shape[:2]
        ):
            raise RunnerError(
                f"the detector gave boxes {list(boxes.shape)}, scores {list(scores.shape)} "
                f"and labels {list(labels.shape)} for {count} images; "
                "(N, K, 4), (N, K) and (N, K) are expected"
            )
        if not np.issubdtype(labels.dtype, np.integer):
            raise RunnerError(f"the detector gave labels of type {labels.dtype}, not integers")
        labels = labels.astype(np.int64)
        if labels.size and labels.max() >= len(self.labels):
            raise RunnerError(
                f"the detector gave label {int(labels.max())}; the card has "
                f"{len(self.labels)} labels"
            )
        return boxes, scores, labels


def place_box(box: np.ndarray, frame: segmentation.Frame) -> list[float] | None:
    """A box in the model's input pixels carried back to the original image and
    clipped to it; None when nothing of it is left inside."""
    x0, y0, x1, y1 = (float(v) for v in box)
    placed = [
        max(0.0, x0 * frame.scale_x - frame.offset_x),
        max(0.0, y0 * frame.scale_y - frame.offset_y),
        min(float(frame.width), x1 * frame.scale_x - frame.offset_x),
        min(float(frame.height), y1 * frame.scale_y - frame.offset_y),
    ]
    if placed[2] <= placed[0] or placed[3] <= placed[1]:
        return None
    return [round(v, 2) for v in placed]
