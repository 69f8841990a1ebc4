"""ONNX model versions, run by ONNX Runtime.

Images are decoded and normalised as for the torch runners (the card's input
spec: size, padding, mean, std); the model takes one (N, C, H, W) float32 batch;
a classifier gives (N, classes) logits and a segmenter (N, labels, H, W) scores
in 0..1, as their TorchScript kinds do, so the same card works for both. ONNX
Runtime's CUDA provider is used when the installed build has it and
INFERENCE_DEVICE does not ask for the CPU.
"""

from __future__ import annotations

import numpy as np
import onnxruntime
from django.conf import settings

from inference import segmentation
from inference.models import ModelVersion
from inference.runner_base import Decoded, Runner, RunnerError
from inference.runners import verified_weights

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


def providers() -> list[str]:
    wanted = settings.INFERENCE_DEVICE
    if CUDA in onnxruntime.get_available_providers() and not wanted.startswith("cpu"):
        return [CUDA, CPU]
    return [CPU]


class OnnxRunner(Runner):
    def __init__(self, version: ModelVersion):
        super().__init__(version)
        spec = version.input_spec or {}
        mean = np.asarray(spec.get("mean", [0.0, 0.0, 0.0]), dtype=np.float32)
        std = np.asarray(spec.get("std", [1.0, 1.0, 1.0]), dtype=np.float32)
        # Folded into one multiply-add on 0..255 input, as the torch runners do.
        self.scale = (1.0 / (255.0 * std)).reshape(1, -1, 1, 1)
        self.shift = (-mean / std).reshape(1, -1, 1, 1)
        self.session = onnxruntime.InferenceSession(
            str(verified_weights(version)), providers=providers()
        )
        self.input_name = self.session.get_inputs()[0].name

    def batch(self, images: list[Decoded]) -> np.ndarray:
        pixels = np.stack([image.pixels.numpy() for image in images]).astype(np.float32)
        return pixels * self.scale + self.shift

    def run(self, images: list[Decoded]) -> list[np.ndarray]:
        return self.session.run(None, {self.input_name: self.batch(images)})


class OnnxClassificationRunner(OnnxRunner):
    top_k = 3

    def predict(self, images: list[Decoded]) -> list[list[dict]]:
        if not images:
            return []
        logits = np.asarray(self.run(images)[0], dtype=np.float64)
        if logits.ndim != 2 or logits.shape[1] != len(self.labels):
            raise RunnerError(
                f"the model gave {list(logits.shape)} for {len(self.labels)} labels; "
                "(N, classes) logits are expected"
            )
        exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = exponentials / exponentials.sum(axis=1, keepdims=True)
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
        scores = np.asarray(self.run(images)[0], dtype=np.float32)
        try:
            return segmentation.finds_of_batch(scores, images, self)
        except ValueError as error:
            raise RunnerError(str(error)) from error
