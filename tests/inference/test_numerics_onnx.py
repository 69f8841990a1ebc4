"""ONNX versions' numerics: ONNX Runtime's graph optimisation levels and batch
sizes, verified against the graph as written on held-out images, the fastest
that keeps the results chosen and recorded, the graph as written kept when an
optimisation would change a curator's decision, and jobs run with the record."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from inference import detection_training, segmentation_training, training
from inference.backbone import load_backbone
from inference.numerics.policy import Numerics, measured_speed, recorded
from inference.numerics.verify import verify_version
from inference.onnx_runner import GRAPH_LEVELS, OnnxClassificationRunner
from inference.runners import LinearProbe, load_head, runner_for
from inference.services import start_job
from inference.services.jobs import task_size
from inference.services.uploads import register_upload
from tests.inference.conftest import SHIPPED, demo_images, make_set, run_all
from tests.inference.onnx_detector import SlottedCenterNet, export, shipped_net
from tests.inference.registration_support import onnx
from tests.inference.test_onnx_detection import detector_card, png
from tests.inference.test_onnx_runner import SEGMENTER, onnx_card, segmenter_card

pytestmark = pytest.mark.django_db

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def classifier_onnx() -> bytes:
    return onnx(LinearProbe(load_backbone(), load_head(SHIPPED, training.classes())), (224, 224))


def demo_sample(count: int) -> list[bytes]:
    return [path.read_bytes() for path in demo_images(count)]


def row_of(entry: dict, numerics: Numerics) -> dict:
    return next(row for row in entry["variants"] if Numerics.from_dict(row) == numerics)


def test_the_classifier_is_verified_per_level_and_runs_as_recorded(users, classifier_onnx):
    version = register_upload(
        actor=users["staff"], card=onnx_card(classifier_onnx), weights=classifier_onnx
    )
    entry = verify_version(version, device=CPU, sample=demo_sample(16))

    assert entry["device"] == "cpu" and entry["reference"] == "fp32, graph as written"
    assert entry["sample"] == {"images": 16, "source": "given"}
    tried = {(row["graph_optimization"], row["batch_size"]) for row in entry["variants"]}
    assert {(level, 32) for level in GRAPH_LEVELS} <= tried
    assert {batch for _level, batch in tried} >= {8, 16}  # sizes tried for the best level
    for row in entry["variants"]:
        assert row["precision"] == "fp32" and not row["channels_last"]
        assert row["passes"], row
        assert row["top1_agreement"] == 1.0 and row["max_score_drift"] < 1e-4
    chosen = Numerics.from_dict(entry["chosen"])
    assert row_of(entry, chosen)["images_per_s"] == max(
        row["images_per_s"] for row in entry["variants"]
    )
    assert entry["fallback"] == ""

    version.refresh_from_db()
    assert recorded(version, "cpu") == chosen
    runner = runner_for(version)
    assert isinstance(runner, OnnxClassificationRunner)
    assert runner.numerics == chosen and runner.batch_size == chosen.batch_size
    # The measured speed sizes the job's tasks, as for torch versions.
    assert measured_speed(version) == row_of(entry, chosen)["images_per_s"]
    assert task_size(version) % 32 == 0


def test_an_optimisation_that_moves_a_bulk_validation_decision_is_refused(
    users, classifier_onnx, tmp_path
):
    """Curators validate in bulk above a class's threshold: a level whose scores
    land on the other side of it for one image changes a decision, and is refused."""
    version = register_upload(
        actor=users["staff"],
        card=onnx_card(classifier_onnx, version="1.0.2"),
        weights=classifier_onnx,
    )
    sample = demo_sample(16)
    written = Numerics(channels_last=False, batch_size=32, graph_optimization="off")
    runner = OnnxClassificationRunner(version, device=CPU, numerics=written)
    images = [runner.decode(data) for data in sample]
    reference = runner.probabilities(images)
    runner.use(Numerics(channels_last=False, batch_size=32, graph_optimization="all"))
    optimised = runner.probabilities(images)
    top = reference.argmax(1)
    moved = [i for i in range(len(images)) if optimised[i, top[i]] != reference[i, top[i]]]
    assert moved, "ONNX Runtime's full optimisation gives the graph's scores bit for bit"
    image = moved[0]
    label = version.labels[int(top[image])]
    # The threshold sits exactly between the two scores' sides.
    cutoff = float(max(reference[image, top[image]], optimised[image, top[image]]))
    version.metrics = {**version.metrics, "thresholds": {label: {"confidence": cutoff}}}
    version.save(update_fields=["metrics"])

    entry = verify_version(version, device=CPU, sample=sample)

    full = row_of(entry, Numerics(channels_last=False, batch_size=32, graph_optimization="all"))
    assert not full["passes"]
    assert "1 predictions crossed their class's bulk-validation threshold" in full["problems"]
    chosen = Numerics.from_dict(entry["chosen"])
    assert row_of(entry, chosen)["passes"]
    assert chosen.graph_optimization != "all"
    if chosen.graph_optimization == "off":
        assert entry["fallback"].startswith("graph optimisation ")
    version.refresh_from_db()
    assert runner_for(version).numerics == chosen

    # A job after verification says what the graph as written says.
    image_set = make_set(tmp_path, 6, owner=users["owner"])
    job = run_all(start_job(version, {"image_set": image_set.pk}, users["owner"]))
    assert job.state == "done"
    said = {p.image.sha256: p.label for p in job.predictions.select_related("image")}
    assert len(said) == 6
    runner.use(written)
    for path in demo_images(6):
        data = path.read_bytes()
        expected = version.labels[int(runner.probabilities([runner.decode(data)])[0].argmax())]
        assert said[hashlib.sha256(data).hexdigest()] == expected


def test_the_detector_and_segmenter_are_verified_box_by_box_and_mask_by_mask(users):
    detector = export(SlottedCenterNet(shipped_net()))
    version = register_upload(actor=users["staff"], card=detector_card(detector), weights=detector)
    scenes = [png(scene) for scene, _boxes in detection_training.held_out_scenes(8)]
    entry = verify_version(version, device=CPU, sample=scenes)
    for row in entry["variants"]:
        assert row["graph_optimization"] in GRAPH_LEVELS
        assert row["passes"] and row["min_box_iou"] >= 0.99, row
    assert entry["variants"][0]["boxes"] >= 8  # particles found in the scenes

    unet = segmentation_training.TinyUNet()
    unet.load_state_dict(torch.jit.load(str(SEGMENTER)).state_dict())
    segmenter = onnx(unet, (256, 256))
    version = register_upload(
        actor=users["staff"], card=segmenter_card(segmenter), weights=segmenter
    )
    scenes = [png(scene) for scene, _masks in segmentation_training.held_out_scenes(8)]
    entry = verify_version(version, device=CPU, sample=scenes)
    for row in entry["variants"]:
        assert row["passes"] and row["min_mask_iou"] > 0.999, row
        assert row["polygon_count_changes"] == 0
    assert np.mean([row["polygons"] for row in entry["variants"]]) >= 8
    version.refresh_from_db()
    assert recorded(version, "cpu") == Numerics.from_dict(entry["chosen"])


def test_the_card_page_names_the_graph_optimisation(client, users, classifier_onnx):
    version = register_upload(
        actor=users["staff"],
        card=onnx_card(classifier_onnx, version="1.0.3"),
        weights=classifier_onnx,
    )
    entry = verify_version(version, device=CPU, sample=demo_sample(8))
    text = client.get(f"/models/{version.model.name}/{version.version}/").content.decode()
    assert f'class="chosen-graph">{entry["chosen"]["graph_optimization"]}<' in text
    assert "the speed of fp32, graph as written" in text
    assert '<th scope="col">Graph optimisation</th>' in text
