"""Jobs on DEEPaaS modules in a real worker: classes, boxes and outlines end to
end into predicted annotations, and a module that is down when the job starts, retried
by the task until it is up."""

from __future__ import annotations

import time
import uuid

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from curation import geometry
from curation.models import Annotation
from inference import segmentation_training
from inference.models import InferenceJob, JobBatch, ModelVersion, Prediction
from inference.services import register_model_version, start_job
from tests.curation.conftest import ready_set
from tests.inference.deepaas_server import (
    CLASSIFIER,
    DETECTOR,
    SEGMENTER,
    DeepaasServer,
    Relay,
    free_port,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services("redis")]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def remote_version(url: str, name: str, task: str) -> ModelVersion:
    return register_model_version(
        name=f"ai4os-{name}",
        task=task,
        licence="Apache-2.0",
        version=f"remote-{uuid.uuid4().hex[:8]}",
        framework=ModelVersion.Framework.DEEPAAS,
        labels=[],
        endpoint={"url": url, "name": name, "timeout": 60},
    )


@pytest.fixture
def worker(start_worker, settings):
    running = start_worker("deepaas")
    settings.INFERENCE_QUEUE = running.queue
    return running


@pytest.fixture(scope="module")
def server():
    running = DeepaasServer()
    try:
        yield running.wait_ready()
    finally:
        running.stop()


def finished(job: InferenceJob) -> InferenceJob:
    wait_for(lambda: InferenceJob.objects.get(pk=job.pk).state == "done", 180, "the job")
    job.refresh_from_db()
    return job


def test_classes_and_boxes_become_predicted_annotations(worker, server, owner):
    image_set = ready_set(images=4, owner=owner)
    images = {image.pk: image for image in image_set.images.all()}

    classifier = remote_version(server.url, CLASSIFIER, "classification")
    job = finished(start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=3))
    assert job.batches.count() == 2
    predictions = Prediction.objects.filter(job=job)
    assert sorted(predictions.values_list("image_id", flat=True)) == sorted(images)
    for annotation in Annotation.objects.filter(model_version=classifier):
        prediction = predictions.get(image=annotation.image)
        assert (annotation.status, annotation.shape) == ("predicted", "whole")
        assert annotation.label.name == prediction.label
        assert annotation.confidence == pytest.approx(prediction.confidence)
    assert Annotation.objects.filter(model_version=classifier).count() == 4

    detector = remote_version(server.url, DETECTOR, "detection")
    job = finished(start_job(detector, {"image_set": image_set.pk}, owner))
    boxes = Annotation.objects.filter(model_version=detector, shape="box")
    assert boxes.count() == 4
    for annotation in boxes:
        prediction = Prediction.objects.get(job=job, image=annotation.image)
        assert annotation.status == "predicted" and annotation.label.name == prediction.label
        image = images[annotation.image_id]
        x0, y0, x1, y1 = prediction.box
        assert 0 <= x0 < x1 <= image.width and 0 <= y0 < y1 <= image.height
    summary = job.summary["sets"][str(image_set.pk)]
    assert summary["share_with_detections"] == 1.0


def test_outlines_become_predicted_polygon_annotations(worker, server, owner, tmp_path):
    image_set = ready_set(images=0, owner=owner)
    paths = []
    for index, (scene, _masks) in enumerate(segmentation_training.held_out_scenes(2)):
        path = tmp_path / f"scene-{index}.png"
        scene.save(path, "PNG")
        paths.append(path)
    services.ingest(image_set, paths, actor=SYSTEM)
    segmenter = remote_version(server.url, SEGMENTER, "segmentation")
    job = finished(start_job(segmenter, {"image_set": image_set.pk}, owner))
    outlines = Annotation.objects.filter(model_version=segmenter)
    assert outlines.count() >= 2 and {o.shape for o in outlines} == {"polygon"}
    for outline in outlines:
        assert outline.status == "predicted" and outline.label.name == "plankton"
        assert geometry.check("polygon", outline.coordinates, 256, 256) == []
    assert Prediction.objects.filter(job=job, polygon__isnull=False).count() == outlines.count()


def test_a_module_that_is_down_is_retried_until_it_is_up(worker, server, owner):
    image_set = ready_set(images=2, owner=owner)
    port = free_port()  # nothing listens there yet: the module is down
    version = remote_version(f"http://127.0.0.1:{port}", CLASSIFIER, "classification")
    job = start_job(version, {"image_set": image_set.pk}, owner)
    wait_for(
        lambda: JobBatch.objects.filter(job=job, error__contains="cannot connect").exists(),
        60,
        "the first try to fail",
    )
    assert InferenceJob.objects.get(pk=job.pk).state == "running"  # not failed: retried
    relay = Relay(port, server.port)  # the module is back
    try:
        job = finished(job)
    finally:
        relay.close()
    assert Prediction.objects.filter(job=job).count() == 2
    assert Annotation.objects.filter(model_version=version).count() == 2
