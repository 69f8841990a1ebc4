"""The shipped particle segmenter: it outlines plankton in scenes of crops it never
saw, through the TorchScript segmentation runner, and its outlines reach the review
workflow as predicted polygon annotations; training makes a working segmenter."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
import torch
from django.test import Client

from catalogue import services
from catalogue.access import SYSTEM
from curation import geometry
from curation.models import Annotation
from inference import segmentation_training
from inference.detection_training import iou
from inference.management.commands.train_segmenter import register_segmenter
from inference.runners import runner_for
from inference.services import start_job
from inference.training import WEIGHTS_DIR
from tests.curation.conftest import ready_set
from tests.inference.conftest import run_all

pytestmark = pytest.mark.django_db

SHIPPED = WEIGHTS_DIR / f"{segmentation_training.MODEL_NAME}-1.0.0.pt"


def shipped_segmenter():
    return register_segmenter(
        "1.0.0",
        {
            "labels": segmentation_training.LABELS,
            "input_spec": segmentation_training.INPUT_SPEC,
            "weights_path": str(SHIPPED),
            "weights_sha256": hashlib.sha256(SHIPPED.read_bytes()).hexdigest(),
            "metrics": {},
        },
    )


def png(scene) -> bytes:
    buffer = io.BytesIO()
    scene.save(buffer, "PNG")
    return buffer.getvalue()


def bounds(mask: np.ndarray) -> list[float]:
    rows, cols = np.nonzero(mask)
    return [float(cols.min()), float(rows.min()), float(cols.max() + 1), float(rows.max() + 1)]


def test_the_shipped_segmenter_outlines_particles_it_never_saw():
    runner = runner_for(shipped_segmenter())
    found = right = particles = 0
    for scene, masks in segmentation_training.held_out_scenes(30):
        (regions,) = runner.predict([runner.decode(png(scene))])
        truth = [bounds(mask) for mask in masks]
        particles += len(truth)
        found += len(regions)
        for region in regions:
            assert region["label"] == "plankton" and region["confidence"] >= 0.5
            assert geometry.check("polygon", region["polygon"], 256, 256) == []
            best = max(truth, key=lambda box: iou(region["box"], box), default=None)
            if best is not None and iou(region["box"], best) >= 0.5:
                truth.remove(best)
                right += 1
    assert right / found >= 0.75 and right / particles >= 0.85, (right, found, particles)


def test_its_outlines_become_predicted_polygon_annotations(people, tmp_path):
    image_set = ready_set(people, images=0)
    paths = []
    for index, (scene, _masks) in enumerate(segmentation_training.held_out_scenes(2)):
        paths.append(tmp_path / f"frame-{index}.png")
        paths[-1].write_bytes(png(scene))
    services.ingest(image_set, paths, actor=SYSTEM)
    segmenter = shipped_segmenter()
    run_all(start_job(segmenter, {"image_set": image_set.pk}, people["owner"]))
    outlines = Annotation.objects.filter(image__image_set=image_set, model_version=segmenter)
    assert outlines.exists()
    card_page = Client().get(f"/models/{segmenter.model.name}/1.0.0/")
    assert card_page.status_code == 200 and "Segmentation" in card_page.text
    for outline in outlines.select_related("label"):
        assert (outline.shape, outline.status, outline.label.name) == (
            "polygon",
            "predicted",
            "plankton",
        )
        assert geometry.check("polygon", outline.coordinates, 256, 256) == []


def test_a_short_training_writes_a_working_torchscript_segmenter(tmp_path):
    card = segmentation_training.train("0.0.1", tmp_path, steps=2, scenes=3)
    path = tmp_path / f"{segmentation_training.MODEL_NAME}-0.0.1.pt"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == card["weights_sha256"]
    scores = torch.jit.load(str(path))(torch.zeros(2, 3, 256, 256))
    assert scores.shape == (2, 1, 256, 256)
    assert 0.0 <= float(scores.min()) <= float(scores.max()) <= 1.0
    assert {"pixel_iou", "precision", "recall", "scenes", "particles"} <= set(card["metrics"])
