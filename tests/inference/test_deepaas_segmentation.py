"""The shipped particle segmenter served by a real DEEPaaS server (`deepaas-run`
from PyPI, our module under its entry point), answering as the AI4OS YOLOv8
module answers for segmentation: the DEEPaaS runner reads its outlines as the
regions the portal's own runner traces, and a job turns them into predicted
polygon annotations in the review workflow."""

from __future__ import annotations

import uuid

import pytest
from shapely.geometry import Polygon

from catalogue import services
from catalogue.access import SYSTEM
from curation import geometry
from curation.models import Annotation
from inference import segmentation_training
from inference.deepaas import DeepaasRunner
from inference.deepaas_module import segmenter
from inference.detection_training import iou
from inference.models import ModelVersion
from inference.runners import runner_for
from inference.services import register_model_version, start_job
from tests.curation.conftest import ready_set
from tests.inference.conftest import run_all
from tests.inference.deepaas_server import SEGMENTER, DeepaasServer
from tests.inference.test_segmenter import png, shipped_segmenter

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def server():
    running = DeepaasServer()
    try:
        yield running.wait_ready()
    finally:
        running.stop()


def remote_segmenter(url: str) -> ModelVersion:
    return register_model_version(
        name=f"ai4os-{SEGMENTER}",
        task="segmentation",
        licence="Apache-2.0",
        version=f"remote-{uuid.uuid4().hex[:8]}",
        framework=ModelVersion.Framework.DEEPAAS,
        labels=[],
        endpoint={"url": url, "name": SEGMENTER, "timeout": 60},
    )


def test_the_module_serves_the_shipped_segmenters_card():
    assert segmenter.INPUT_SPEC == segmentation_training.INPUT_SPEC
    assert segmenter.LABELS == segmentation_training.LABELS


def test_the_served_segmenter_outlines_what_the_portal_runs(server):
    remote = DeepaasRunner(remote_segmenter(server.url))
    assert remote.metadata["task"] == "segmentation"
    local = runner_for(shipped_segmenter())
    outlined = 0
    for scene, _masks in segmentation_training.held_out_scenes(6):
        data = png(scene)
        (expected,) = local.predict([local.decode(data)])
        (got,) = remote.predict([remote.decode(data)])
        assert len(got) == len(expected)
        for find in expected:
            twin = max(got, key=lambda other: iou(other["box"], find["box"]))
            assert iou(twin["box"], find["box"]) >= 0.95
            assert twin["label"] == find["label"]
            assert Polygon(twin["polygon"]).area == pytest.approx(
                Polygon(find["polygon"]).area, rel=0.02
            )
            assert twin["confidence"] == pytest.approx(find["confidence"], abs=1e-3)
            assert geometry.check("polygon", twin["polygon"], scene.width, scene.height) == []
        outlined += len(expected)
    assert outlined >= 6


def test_its_outlines_become_predicted_polygon_annotations(server, people, tmp_path):
    image_set = ready_set(people, images=0)
    paths = []
    for index, (scene, _masks) in enumerate(segmentation_training.held_out_scenes(3)):
        path = tmp_path / f"scene-{index}.png"
        path.write_bytes(png(scene))
        paths.append(path)
    services.ingest(image_set, paths, actor=SYSTEM)
    version = remote_segmenter(server.url)
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
