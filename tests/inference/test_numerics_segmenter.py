"""A segmenter's numerics: bf16 and channels-last kept only when every mask
overlaps fp32's (IoU) and traces to as many polygons, on held-out images."""

from __future__ import annotations

import hashlib
import io

import pytest
import torch

from inference import runners, segmentation_training
from inference.models import ModelVersion
from inference.numerics import compare
from inference.numerics.policy import MIN_MASK_IOU, Numerics, recorded
from inference.numerics.verify import verify_version
from inference.services import register_model_version
from tests.inference.test_numerics import sample
from tests.inference.test_segmenter import shipped_segmenter

pytestmark = pytest.mark.django_db

CPU = torch.device("cpu")


class FadesInBf16(torch.nn.Module):
    """One label whose score is sigmoid(10 x) of the red channel in fp32: a mask
    over every pixel brighter than 1/25. It comes as the difference of two 1x1
    convolutions weighted 1.001 and 1.0; bf16 rounds both weights to 1.0, the
    difference to 0 and every score to 0.5, under the card's 0.6: no mask."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 1, 1, bias=False)
        self.b = torch.nn.Conv2d(3, 1, 1, bias=False)
        with torch.no_grad():
            self.a.weight.copy_(torch.tensor([1.001, 0.0, 0.0]).view(1, 3, 1, 1))
            self.b.weight.copy_(torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid((self.a(x) - self.b(x)) * 10000.0)


def register_fading(tmp_path) -> ModelVersion:
    path = tmp_path / "fades.pt"
    torch.jit.save(torch.jit.script(FadesInBf16()), str(path))
    return register_model_version(
        name="fades-in-bf16",
        task="segmentation",
        licence="MIT",
        version="1",
        framework=ModelVersion.Framework.TORCHSCRIPT,
        labels=["region"],
        input_spec={
            "size": [32, 32],
            "mean": [0, 0, 0],
            "std": [1, 1, 1],
            "resize": "pad",
            "mask_threshold": 0.6,
        },
        weights_path=str(path),
        weights_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def png(scene) -> bytes:
    buffer = io.BytesIO()
    scene.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_segmenter_whose_masks_bf16_changes_stays_in_fp32(tmp_path):
    version = register_fading(tmp_path)
    entry = verify_version(version, device=CPU, sample=sample(8), precisions=("fp32", "bf16"))
    bf16_rows = [row for row in entry["variants"] if row["precision"] == "bf16"]
    assert bf16_rows and all(not row["passes"] for row in bf16_rows)
    assert all(
        row["min_mask_iou"] == 0.0 and row["polygon_count_changes"] == 8 for row in bf16_rows
    )
    fp32_rows = [row for row in entry["variants"] if row["precision"] == "fp32"]
    assert all(row["passes"] and row["min_mask_iou"] == 1.0 for row in fp32_rows)
    assert fp32_rows[0]["polygons"] >= 8  # every image has its region in fp32
    assert entry["chosen"]["precision"] == "fp32"
    assert entry["fallback"].startswith("bf16 changes results: a mask moved to IoU 0.0000")
    assert "the polygons' count changed on 8 of 8 images" in entry["fallback"]

    version.refresh_from_db()
    assert recorded(version, "cpu") == Numerics.from_dict(entry["chosen"])
    runner = runners.runner_for(version)
    assert runner.precision == "fp32"
    assert all(finds for finds in runner.predict([runner.decode(d) for d in sample(8)]))


def test_the_shipped_segmenter_is_verified_on_held_out_scenes():
    version = shipped_segmenter()
    scenes = [png(scene) for scene, _masks in segmentation_training.held_out_scenes(8)]
    entry = verify_version(version, device=CPU, sample=scenes, precisions=("fp32", "bf16"))
    assert entry["sample"] == {"images": 8, "source": "given"}
    assert entry["thresholds"]["min_mask_iou"] == MIN_MASK_IOU
    for row in entry["variants"]:
        assert {"min_mask_iou", "polygons", "polygon_count_changes"} <= set(row), row
        assert row["passes"] == (
            row["min_mask_iou"] >= MIN_MASK_IOU and row["polygon_count_changes"] == 0
        )
    fp32 = [row for row in entry["variants"] if row["precision"] == "fp32"]
    assert all(row["passes"] and row["min_mask_iou"] > 0.999 for row in fp32)
    assert fp32[0]["polygons"] >= 8  # particles found in the scenes
    chosen = next(
        row
        for row in entry["variants"]
        if Numerics.from_dict(row) == Numerics.from_dict(entry["chosen"])
    )
    assert chosen["passes"]
    version.refresh_from_db()
    assert version.metrics["numerics"]["cpu"]["chosen"] == entry["chosen"]


def test_masks_are_compared_by_iou_and_polygon_count():
    reference = torch.zeros(2, 1, 10, 10)
    reference[0, 0, 2:6, 2:6] = 0.9  # 16 pixels
    candidate = reference.clone()
    candidate[0, 0, 5, 2:6] = 0.4  # 4 of them under the threshold: IoU 12/16
    same = compare.segmentation(reference, reference, 0.5, [(1, 1), (0, 0)])
    assert same["passes"] and same["min_mask_iou"] == 1.0  # empty masks agree
    moved = compare.segmentation(reference, candidate, 0.5, [(1, 1), (0, 0)])
    assert not moved["passes"] and moved["min_mask_iou"] == 0.75
    assert moved["problems"] == [f"a mask moved to IoU 0.7500 (limit {MIN_MASK_IOU})"]
    split = compare.segmentation(reference, reference, 0.5, [(1, 2), (0, 0)])
    assert split["problems"] == [
        "the polygons' count changed on 1 of 2 images (image 0: 1 in fp32, 2 here)"
    ]
