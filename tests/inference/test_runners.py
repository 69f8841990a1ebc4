"""Runners on real images with real weights."""

from __future__ import annotations

import hashlib

import pytest
import torch

from inference import training
from inference.models import ModelVersion
from inference.runners import (
    LinearProbeRunner,
    TorchScriptDetectionRunner,
    WeightsMismatch,
    choose_device,
    runner_for,
)
from inference.services import register_model_version
from tests.inference.conftest import SHIPPED, register_shipped

pytestmark = pytest.mark.django_db


def test_the_shipped_classifier_reaches_its_card_accuracy_on_the_held_out_split(classifier):
    split = training.read_split("test")
    runner = runner_for(classifier)
    results = runner.predict([runner.decode(p.read_bytes()) for p in split.paths])
    labels = training.classes()
    correct = sum(r[0]["label"] == labels[t] for r, t in zip(results, split.targets, strict=True))
    assert correct / len(split.paths) >= 0.75
    assert all(0 < r[0]["confidence"] <= 1 and len(r[0]["scores"]) == 3 for r in results)
    assert runner.device == choose_device()
    assert runner.module.head.weight.shape == (6, 1280)


def test_bf16_autocast_agrees_with_fp32_on_real_images(classifier):
    images = [p for p in training.read_split("val").paths[:8]]
    fp32 = LinearProbeRunner(classifier)
    bf16 = LinearProbeRunner(classifier, precision="bf16")
    decoded = [fp32.decode(p.read_bytes()) for p in images]
    a = [r[0]["label"] for r in fp32.predict(decoded)]
    b = [r[0]["label"] for r in bf16.predict(decoded)]
    assert sum(x == y for x, y in zip(a, b, strict=True)) >= len(a) - 1


def test_weights_that_do_not_match_the_card_are_refused(tmp_path):
    tampered = tmp_path / "head.pt"
    state = torch.load(SHIPPED, weights_only=True)
    state["bias"] += 1
    torch.save(state, tampered)
    version = register_shipped(weights=tampered)
    version.weights_sha256 = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    with pytest.raises(WeightsMismatch, match="refusing"):
        LinearProbeRunner(version)


def test_embeddings_find_the_same_class_first(classifier):
    runner = LinearProbeRunner(classifier)
    train = training.read_split("train")
    decoded = [runner.decode(p.read_bytes()) for p in train.paths[:30]]
    vectors = runner.embed(decoded)
    assert torch.allclose(vectors.norm(dim=1), torch.ones(len(decoded)), atol=1e-4)
    similarity = vectors @ vectors.T
    assert torch.allclose(similarity.diagonal(), torch.ones(len(decoded)), atol=1e-4)


class DarkBlob(torch.nn.Module):
    """A detector in TorchScript: one box around the pixels darker than the
    image's mean (a FlowCam particle on its light background)."""

    def forward(self, x: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        out: list[dict[str, torch.Tensor]] = []
        for image in x:
            grey = image.mean(0)
            mask = grey < grey.mean() - 0.5 * grey.std()
            points = torch.nonzero(mask)
            ys, xs = points[:, 0], points[:, 1]
            if xs.numel() == 0:
                out.append(
                    {
                        "boxes": torch.zeros(0, 4),
                        "scores": torch.zeros(0),
                        "labels": torch.zeros(0, dtype=torch.long),
                    }
                )
                continue
            box = torch.stack([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]).float()
            out.append(
                {
                    "boxes": box.unsqueeze(0),
                    "scores": mask.float().mean().clamp(0.05, 1.0).reshape(1),
                    "labels": torch.tensor([0]),
                }
            )
        return out


def detector_version(tmp_path, version="1.0.0") -> ModelVersion:
    path = tmp_path / "darkblob.pt"
    torch.jit.script(DarkBlob()).save(str(path))
    return register_model_version(
        name="dark-blob",
        task="detection",
        licence="Apache-2.0",
        version=version,
        framework=ModelVersion.Framework.TORCHSCRIPT,
        labels=["particle"],
        input_spec={"size": [128, 128], "mean": [0, 0, 0], "std": [1, 1, 1], "resize": "pad"},
        weights_path=str(path),
        weights_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def test_a_torchscript_detector_returns_boxes_in_image_pixels(tmp_path):
    runner = TorchScriptDetectionRunner(detector_version(tmp_path))
    paths = training.read_split("test").paths
    decoded = [runner.decode(p.read_bytes()) for p in paths]
    results = runner.predict(decoded)
    assert len(results) == len(paths)
    for image, found in zip(decoded, results, strict=True):
        assert len(found) == 1
        x0, y0, x1, y1 = found[0]["box"]
        assert 0 <= x0 < x1 <= image.width and 0 <= y0 < y1 <= image.height
        assert found[0]["label"] == "particle"
