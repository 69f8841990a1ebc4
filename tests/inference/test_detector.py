"""The shipped particle detector: it finds plankton in scenes of crops it never saw,
runs through the TorchScript detection runner, and its boxes reach the review
queue as predicted annotations; training makes a working TorchScript detector."""

from __future__ import annotations

import hashlib
import io

import pytest
import torch

from catalogue import services
from catalogue.access import SYSTEM
from curation.models import Annotation
from curation.services.predictions import review_queue
from inference import detection_training
from inference.management.commands.train_detector import register_detector
from inference.runners import runner_for
from inference.services import start_job
from inference.training import WEIGHTS_DIR
from tests.curation.conftest import ready_set
from tests.inference.conftest import run_all

pytestmark = pytest.mark.django_db

SHIPPED = WEIGHTS_DIR / f"{detection_training.MODEL_NAME}-1.0.0.pt"


def shipped_detector():
    return register_detector(
        "1.0.0",
        {
            "labels": detection_training.LABELS,
            "input_spec": detection_training.INPUT_SPEC,
            "weights_path": str(SHIPPED),
            "weights_sha256": hashlib.sha256(SHIPPED.read_bytes()).hexdigest(),
            "metrics": {},
        },
    )


def png(scene) -> bytes:
    buffer = io.BytesIO()
    scene.save(buffer, "PNG")
    return buffer.getvalue()


def test_the_shipped_detector_finds_particles_it_never_saw():
    runner = runner_for(shipped_detector())
    scenes = detection_training.held_out_scenes(40)
    found = []
    for scene, _boxes in scenes:
        (boxes,) = runner.predict([runner.decode(png(scene))])
        found.append([(b["confidence"], b["box"]) for b in boxes])
        assert all(b["label"] == "plankton" for b in boxes)
    ap, recall = detection_training.average_precision(found, [b for _, b in scenes])
    assert ap >= 0.5 and recall >= 0.6, (ap, recall)


def test_its_boxes_become_predicted_annotations_to_review(people, tmp_path):
    image_set = ready_set(people, images=0)
    paths = []
    for index, (scene, _boxes) in enumerate(detection_training.held_out_scenes(3)):
        path = tmp_path / f"frame-{index}.png"
        path.write_bytes(png(scene))
        paths.append(path)
    services.ingest(image_set, paths, actor=SYSTEM)
    detector = shipped_detector()
    run_all(start_job(detector, {"image_set": image_set.pk}, people["owner"]))
    boxes = Annotation.objects.filter(image__image_set=image_set, model_version=detector)
    assert boxes.exists()
    for box in boxes:
        assert (box.shape, box.status, box.label.name) == ("box", "predicted", "plankton")
        x0, y0, x1, y1 = box.coordinates
        assert 0 <= x0 < x1 <= 256 and 0 <= y0 < y1 <= 256
        assert box.confidence >= detection_training.SCORE_THRESHOLD
    assert not review_queue(image_set).exists()  # nothing a person reviewed was changed


def test_a_short_training_writes_a_working_torchscript_detector(tmp_path):
    card = detection_training.train("0.0.1", tmp_path, steps=3)
    path = tmp_path / f"{detection_training.MODEL_NAME}-0.0.1.pt"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == card["weights_sha256"]
    model = torch.jit.load(str(path))
    (output,) = model(torch.zeros(1, 3, detection_training.SCENE, detection_training.SCENE))
    assert set(output) == {"boxes", "scores", "labels"}
    assert output["boxes"].shape == (detection_training.TOP_K, 4)
    assert {"ap50", "recall", "scenes", "particles"} <= set(card["metrics"])
