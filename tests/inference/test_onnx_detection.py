"""ONNX detectors: the shipped particle detector exported to ONNX (its K slots,
tests/inference/onnx_detector.py), registered through POST /api/v1/models/ like
any upload, finds the boxes its TorchScript source finds on scenes of real FlowCam
crops it never saw, and its boxes reach the review workflow as predicted
annotations; a file whose outputs a detector cannot give is refused, by field."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from catalogue import services
from catalogue.access import SYSTEM
from curation.models import Annotation
from curation.services.predictions import review_queue
from inference import detection_training
from inference.detection_training import iou
from inference.models import ModelVersion
from inference.onnx_runner import OnnxDetectionRunner
from inference.runner_base import Decoded, RunnerError
from inference.runners import runner_for
from inference.services import start_job
from inference.services.uploads import register_upload
from tests.curation.conftest import ready_set
from tests.inference.conftest import demo_images, run_all
from tests.inference.onnx_detector import SlottedCenterNet, export, shipped_net
from tests.inference.registration_support import Brightness, card_for, onnx
from tests.inference.test_detector import shipped_detector
from tests.inference.test_registration_api import bearer, post

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def exported() -> bytes:
    return export(SlottedCenterNet(shipped_net()))


def detector_card(weights: bytes, **section) -> dict:
    fields = {
        "name": "flowcam-particle-detector-onnx",
        "task": "detection",
        "framework": "onnx",
        "labels": detection_training.LABELS,
        "input_spec": detection_training.INPUT_SPEC,
        **section,
    }
    card = card_for(weights, **fields)
    card["title"] = "FlowCam particle detector (ONNX)"
    card["tasks"] = ["Computer Vision"]
    card["libraries"] = ["Other"]
    return card


def png(scene: PILImage.Image) -> bytes:
    buffer = io.BytesIO()
    scene.save(buffer, "PNG")
    return buffer.getvalue()


def registered(users, weights: bytes, **section) -> ModelVersion:
    response = post(bearer(users["staff"]), detector_card(weights, **section), weights)
    assert response.status_code == 201, response.content
    return ModelVersion.objects.get(pk=response.json()["url"].rstrip("/").split("/")[-1])


def test_the_onnx_export_finds_the_boxes_its_torchscript_finds(users, exported):
    version = registered(users, exported)
    onnx_runner = runner_for(version)
    assert isinstance(onnx_runner, OnnxDetectionRunner)
    source = runner_for(shipped_detector())
    images = [png(scene) for scene, _boxes in detection_training.held_out_scenes(24)]
    # Real FlowCam crops as they are (thin, padded to square, one particle each).
    images += [path.read_bytes() for path in demo_images(8)]
    compared = 0
    for data in images:
        (expected,) = source.predict([source.decode(data)])
        (got,) = onnx_runner.predict([onnx_runner.decode(data)])
        assert len(got) == len(expected)
        for find in expected:
            twin = max(got, key=lambda other: iou(other["box"], find["box"]))
            assert iou(twin["box"], find["box"]) >= 0.95
            assert twin["label"] == find["label"]
            assert twin["confidence"] == pytest.approx(find["confidence"], abs=1e-3)
        compared += len(expected)
    assert compared >= 30  # the scenes hold 1 to 4 particles each


def test_a_batch_gives_what_single_images_give(users, exported):
    runner = runner_for(registered(users, exported))
    decoded = [runner.decode(png(s)) for s, _ in detection_training.held_out_scenes(5)]
    together = runner.predict(decoded)
    alone = [runner.predict([image])[0] for image in decoded]
    for a, b in zip(together, alone, strict=True):
        corners = np.array([f["box"] for f in a])
        assert corners == pytest.approx(np.array([f["box"] for f in b]), abs=0.05)
        assert [f["confidence"] for f in a] == pytest.approx([f["confidence"] for f in b])


def test_its_boxes_become_predicted_annotations_to_review(people, tmp_path, exported):
    version = register_upload(
        actor=people["staff"], card=detector_card(exported, version="2.0.0"), weights=exported
    )
    image_set = ready_set(people, images=0)
    paths = []
    for index, (scene, _boxes) in enumerate(detection_training.held_out_scenes(3)):
        path = tmp_path / f"frame-{index}.png"
        path.write_bytes(png(scene))
        paths.append(path)
    services.ingest(image_set, paths, actor=SYSTEM)
    job = run_all(start_job(version, {"image_set": image_set.pk}, people["owner"]))
    assert job.state == "done"
    boxes = Annotation.objects.filter(image__image_set=image_set, model_version=version)
    assert boxes.count() >= 3
    for box in boxes:
        assert (box.shape, box.status, box.label.name) == ("box", "predicted", "plankton")
        x0, y0, x1, y1 = box.coordinates
        assert 0 <= x0 < x1 <= 256 and 0 <= y0 < y1 <= 256
        assert box.confidence >= detection_training.SCORE_THRESHOLD
    assert not review_queue(image_set).exists()  # nothing a person reviewed was changed


class Slots(torch.nn.Module):
    """K = 5 slots holding one box at the input's centre; `label` is what its
    label output says and `kind` that output's type."""

    def __init__(self, label: float = 0, kind: torch.dtype = torch.int64):
        super().__init__()
        self.label = label
        self.kind = kind

    def forward(self, x: torch.Tensor):
        n = x.shape[0]
        corners = torch.tensor([[8.0, 8.0, 24.0, 24.0]]).repeat(5, 1)
        boxes = corners.unsqueeze(0).repeat(n, 1, 1) + x.mean() * 0
        scores = torch.tensor([0.9, 0.0, 0.0, 0.0, 0.0]).unsqueeze(0).repeat(n, 1)
        empty = torch.tensor([0.0, -1.0, -1.0, -1.0, -1.0]) + self.label
        labels = empty.clamp(max=self.label).unsqueeze(0).repeat(n, 1).to(self.kind)
        return boxes, scores, labels


def small_card(weights: bytes, **section) -> dict:
    spec = {"size": [32, 32], "mean": [0, 0, 0], "std": [1, 1, 1], "resize": "stretch"}
    return detector_card(weights, labels=["particle"], input_spec=spec, **section)


def test_outputs_a_detector_cannot_give_are_refused_by_field(users):
    client = bearer(users["staff"])
    classifier = onnx(Brightness(gain=31.0), (32, 32))
    refused = post(client, small_card(classifier), classifier)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "weights": ["a detector: no output named boxes, scores, labels (outputs: logits)"]
    }
    floats = export(Slots(kind=torch.float32), size=32)
    refused = post(client, small_card(floats, version="2"), floats)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "weights": [
            "a detector: labels are tensor(float), not integer indices into the card's labels"
        ]
    }
    renamed = export(Slots(), size=32, names=["boxes", "confidences", "classes"])
    refused = post(client, small_card(renamed, version="3"), renamed)
    assert refused.json()["errors"] == {
        "weights": [
            "a detector: no output named scores, labels (outputs: boxes, confidences, classes)"
        ]
    }
    assert not ModelVersion.objects.exists()


def test_the_runner_reads_slots_and_refuses_a_label_the_card_lacks(users):
    good = export(Slots(), size=32)
    version = register_upload(actor=users["staff"], card=small_card(good), weights=good)
    runner = runner_for(version)
    image = Decoded(torch.full((3, 32, 32), 128, dtype=torch.uint8), width=64, height=32)
    # One box (the empty slots dropped), carried back to a 64 x 32 image (stretched).
    assert runner.predict([image]) == [
        [{"label": "particle", "confidence": pytest.approx(0.9), "box": [16.0, 8.0, 48.0, 24.0]}]
    ]
    stray = export(Slots(label=3), size=32)
    version = register_upload(
        actor=users["staff"], card=small_card(stray, version="2"), weights=stray
    )
    with pytest.raises(RunnerError, match="the detector gave label 3; the card has 1 labels"):
        runner_for(version).predict([image])
