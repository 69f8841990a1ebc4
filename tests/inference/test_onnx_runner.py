"""ONNX versions: the shipped FlowCam classifier exported to ONNX, registered from
its card like any upload, says what its PyTorch source says on real FlowCam
images, and the shipped segmenter exported to ONNX outlines what its TorchScript
outlines; an ONNX file whose shapes disagree with its card is refused, by field."""

from __future__ import annotations

import hashlib
import io

import pytest
import torch
from shapely.geometry import Polygon

from catalogue import services
from catalogue.access import SYSTEM
from curation import geometry
from curation.models import Annotation
from inference import segmentation_training, training
from inference.backbone import load_backbone
from inference.detection_training import iou
from inference.management.commands.train_segmenter import register_segmenter
from inference.models import Prediction
from inference.onnx_runner import OnnxClassificationRunner, OnnxSegmentationRunner, providers
from inference.runners import LinearProbe, load_head, runner_for
from inference.services import start_job
from inference.services.uploads import CardError, register_upload
from inference.training import WEIGHTS_DIR
from tests.curation.conftest import ready_set
from tests.inference.conftest import SHIPPED, demo_images, make_set, run_all
from tests.inference.registration_support import card_for, onnx

pytestmark = pytest.mark.django_db

SEGMENTER = WEIGHTS_DIR / f"{segmentation_training.MODEL_NAME}-1.0.0.pt"


@pytest.fixture(scope="module")
def exported() -> bytes:
    """The shipped classifier (EfficientNet-Lite0 features and its linear head) as ONNX."""
    labels = training.classes()
    return onnx(LinearProbe(load_backbone(), load_head(SHIPPED, labels)), (224, 224))


def onnx_card(weights: bytes, **section) -> dict:
    fields = {
        "name": "flowcam-phytoplankton-onnx",
        "framework": "onnx",
        "labels": training.classes(),
        "input_spec": training.INPUT_SPEC,
        **section,
    }
    card = card_for(weights, **fields)
    card["title"] = "FlowCam phytoplankton classifier (ONNX)"
    card["libraries"] = ["Other"]
    return card


def test_the_onnx_export_says_what_its_pytorch_source_says(tmp_path, users, classifier, exported):
    version = register_upload(actor=users["staff"], card=onnx_card(exported), weights=exported)
    runner = runner_for(version)
    assert isinstance(runner, OnnxClassificationRunner)
    assert providers()[-1] == "CPUExecutionProvider"

    image_set = make_set(tmp_path, 12, owner=users["owner"])
    results = {}
    for model_version in (classifier, version):
        job = run_all(start_job(model_version, {"image_set": image_set.pk}, users["owner"]))
        assert job.state == "done"
        results[model_version.framework] = {
            p.image_id: p for p in Prediction.objects.filter(job=job)
        }
    source, onnx_said = results["linear-probe-efficientnet-lite0"], results["onnx"]
    assert len(source) == len(onnx_said) == 12
    for image_id, expected in source.items():
        got = onnx_said[image_id]
        assert got.label == expected.label
        assert got.confidence == pytest.approx(expected.confidence, abs=1e-4)
        assert got.scores.keys() == expected.scores.keys()
    # Not a degenerate agreement: the demo images are told apart.
    assert len({p.label for p in onnx_said.values()}) >= 4


def test_a_batch_gives_what_single_images_give(users, exported):
    version = register_upload(
        actor=users["staff"], card=onnx_card(exported, version="1.0.1"), weights=exported
    )
    runner = runner_for(version)
    decoded = [runner.decode(path.read_bytes()) for path in demo_images(5)]
    together = runner.predict(decoded)
    alone = [runner.predict([image])[0] for image in decoded]
    for a, b in zip(together, alone, strict=True):
        assert a[0]["label"] == b[0]["label"]
        assert a[0]["confidence"] == pytest.approx(b[0]["confidence"], abs=1e-5)


def test_shapes_that_disagree_with_the_card_are_refused_by_field(users, exported):
    spec = {"size": [300, 300], "channels": "L"}
    card = onnx_card(exported, labels=training.classes()[:5], input_spec=spec)
    with pytest.raises(CardError) as error:
        register_upload(actor=users["staff"], card=card, weights=exported)
    assert error.value.problems == {
        "aquacat.input_spec.size": "[300, 300] but the ONNX input is 224 x 224",
        "aquacat.input_spec.channels": "'L' but the ONNX input has 3 channel(s)",
        "aquacat.labels": "5 labels but the ONNX model gives 6 classes",
    }
    card = onnx_card(exported, task="detection")
    card["tasks"] = ["Computer Vision"]
    with pytest.raises(CardError) as error:
        register_upload(actor=users["staff"], card=card, weights=exported)
    assert error.value.problems == {
        "weights": "a detector: no output named boxes, scores, labels (outputs: logits)"
    }


@pytest.fixture(scope="module")
def segmenter_onnx() -> bytes:
    """The shipped segmenter (a TinyUNet) as ONNX."""
    unet = segmentation_training.TinyUNet()
    unet.load_state_dict(torch.jit.load(str(SEGMENTER)).state_dict())
    return onnx(unet, (256, 256))


def segmenter_card(weights: bytes) -> dict:
    card = card_for(
        weights,
        name="flowcam-particle-segmenter-onnx",
        task="segmentation",
        framework="onnx",
        labels=segmentation_training.LABELS,
        input_spec=segmentation_training.INPUT_SPEC,
    )
    card["tasks"] = ["Computer Vision"]
    return card


def test_the_shipped_segmenter_as_onnx_outlines_what_its_torchscript_outlines(
    users, segmenter_onnx
):
    card = segmenter_card(segmenter_onnx)
    version = register_upload(actor=users["staff"], card=card, weights=segmenter_onnx)
    exported_runner = runner_for(version)
    assert isinstance(exported_runner, OnnxSegmentationRunner)
    source_runner = runner_for(
        register_segmenter(
            "1.0.0",
            {
                "labels": segmentation_training.LABELS,
                "input_spec": segmentation_training.INPUT_SPEC,
                "weights_path": str(SEGMENTER),
                "weights_sha256": hashlib.sha256(SEGMENTER.read_bytes()).hexdigest(),
            },
        )
    )
    outlined = 0
    for scene, _masks in segmentation_training.held_out_scenes(6):
        data = png(scene)
        (expected,) = source_runner.predict([source_runner.decode(data)])
        (got,) = exported_runner.predict([exported_runner.decode(data)])
        assert len(got) == len(expected)
        for find in expected:
            twin = max(got, key=lambda other: iou(other["box"], find["box"]))
            assert iou(twin["box"], find["box"]) >= 0.95
            assert Polygon(twin["polygon"]).area == pytest.approx(
                Polygon(find["polygon"]).area, rel=0.02
            )
            assert twin["confidence"] == pytest.approx(find["confidence"], abs=1e-3)
        outlined += len(expected)
    assert outlined >= 6


def png(scene) -> bytes:
    buffer = io.BytesIO()
    scene.save(buffer, "PNG")
    return buffer.getvalue()


def test_the_onnx_segmenters_outlines_become_predicted_polygon_annotations(
    people, tmp_path, segmenter_onnx
):
    version = register_upload(
        actor=people["staff"], card=segmenter_card(segmenter_onnx), weights=segmenter_onnx
    )
    image_set = ready_set(people, images=0)
    paths = []
    for index, (scene, _masks) in enumerate(segmentation_training.held_out_scenes(3)):
        path = tmp_path / f"scene-{index}.png"
        path.write_bytes(png(scene))
        paths.append(path)
    services.ingest(image_set, paths, actor=SYSTEM)
    job = run_all(start_job(version, {"image_set": image_set.pk}, people["owner"]))
    assert job.state == "done"
    outlines = Annotation.objects.filter(image__image_set=image_set, model_version=version)
    assert outlines.count() >= 3
    for outline in outlines:
        assert (outline.shape, outline.status, outline.label.name) == (
            "polygon",
            "predicted",
            "plankton",
        )
        assert geometry.check("polygon", outline.coordinates, 256, 256) == []
        regions = Prediction.objects.filter(job=job, image=outline.image, polygon__isnull=False)
        assert regions.exists()
