"""Jobs, batches, idempotence, cancel/retry and enrichment, run through the
services in this process (the worker tests run the same code in a worker)."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from catalogue.errors import FieldError
from catalogue.models import Image, SearchOutbox
from inference.cards import model_card
from inference.models import InferenceJob, JobBatch, Prediction, SetEnrichment
from inference.selectors import job_progress
from inference.services import (
    JobError,
    batches,
    cancel_job,
    retry_job,
    start_job,
)
from inference.services.batches import process_batch
from tests.inference.conftest import make_set, run_all

pytestmark = pytest.mark.django_db


def test_a_job_predicts_every_image_once_and_enriches_images_and_set(tmp_path, classifier, owner):
    image_set = make_set(tmp_path, 14, owner=owner)
    job = start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=4)
    assert job.total == 14 and job.batches.count() == 4
    assert job_progress(job)["processed"] == 0
    SearchOutbox.objects.all().delete()
    run_all(job)
    assert job.state == "done" and job.finished
    assert job_progress(job) | {"batches": None} == {
        "state": "done",
        "total": 14,
        "processed": 14,
        "failed_images": 0,
        "skipped": 0,
        "fraction": 1.0,
        "batches": None,
    }
    assert Prediction.objects.filter(job=job).count() == 14
    images = list(Image.objects.filter(image_set=image_set))
    correct = 0
    for image in images:
        [entry] = image.fields["predictions"]
        assert entry["model"] == "flowcam-phytoplankton" and entry["version"] == "1.0.0"
        assert 0 < entry["confidence"] <= 1 and entry["time"] and entry["status"] == "predicted"
        assert "annotation" not in image.fields or image.fields["annotation"] != entry
        assert image.revision >= 2
        correct += entry["label"] in image.file_name
    assert correct >= 10  # real images, real weights
    summary = job.summary["sets"][str(image_set.pk)]
    assert summary["images"] == 14 and sum(summary["classes"].values()) == 14
    assert SetEnrichment.objects.get(image_set=image_set).summary == summary
    queued = set(SearchOutbox.objects.values_list("kind", "object_id"))
    assert ("set", image_set.pk) in queued
    assert {("image", i.pk) for i in images} <= queued


def test_redelivery_writes_nothing_twice(tmp_path, classifier, owner):
    image_set = make_set(tmp_path, 6, owner=owner)
    job = start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=6)
    batch = job.batches.get()
    process_batch(batch.pk)
    # A redelivery of a finished batch is a no-op...
    assert process_batch(batch.pk)["redelivered"] is True
    # ...and so is one after a crash between the writes and the batch's state.
    JobBatch.objects.filter(pk=batch.pk).update(state="running")
    Prediction.objects.filter(image_id=batch.image_ids[0]).delete()
    process_batch(batch.pk)
    assert Prediction.objects.filter(model_version=classifier).count() == 6
    assert sorted(Prediction.objects.values_list("image_id", flat=True)) == sorted(batch.image_ids)
    for image in Image.objects.filter(image_set=image_set):
        assert len(image.fields["predictions"]) == 1


def test_an_unforeseen_error_fails_the_batch_instead_of_leaving_it_running(
    tmp_path, classifier, owner, monkeypatch
):
    image_set = make_set(tmp_path, 3, owner=owner)
    job = start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=3)
    batch = job.batches.get()

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(batches.enrichment, "write_predictions", broken)
    with pytest.raises(RuntimeError):
        process_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.state == "failed"
    assert batch.error == "unexpected error: RuntimeError: the disk is full"
    assert sorted(batch.failed_image_ids) == sorted(batch.image_ids)
    job.refresh_from_db()
    assert job.state == "failed" and not Prediction.objects.exists()
    # Once the cause is gone, retrying the job runs the batch again.
    monkeypatch.undo()
    retry_job(job)
    process_batch(batch.pk)
    job.refresh_from_db()
    assert job.state == "done" and Prediction.objects.count() == 3


@override_settings(INFERENCE_MAX_DELIVERIES=2)
def test_a_batch_delivered_too_often_gives_up_and_marks_its_images_failed(
    tmp_path, classifier, owner
):
    image_set = make_set(tmp_path, 3, owner=owner)
    job = start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=3)
    batch = job.batches.get()
    JobBatch.objects.filter(pk=batch.pk).update(deliveries=2, state="running")
    assert process_batch(batch.pk)["state"] == "failed"
    batch.refresh_from_db()
    assert sorted(batch.failed_image_ids) == sorted(batch.image_ids)
    assert "gave up after 2 deliveries" in batch.error
    job.refresh_from_db()
    assert job.state == "failed" and job_progress(job)["failed_images"] == 3
    assert not Prediction.objects.exists()
    # Retry sends the failed batch again, with its delivery count reset.
    retry_job(job)
    process_batch(batch.pk)
    job.refresh_from_db()
    assert job.state == "done" and Prediction.objects.count() == 3


def test_cancel_skips_the_remaining_batches_and_retry_resumes_them(tmp_path, classifier, owner):
    image_set = make_set(tmp_path, 8, owner=owner)
    job = start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=2)
    first, *rest = job.batches.order_by("number")
    process_batch(first.pk)
    cancel_job(job)
    for batch in rest:
        assert process_batch(batch.pk)["state"] == "skipped"
    job.refresh_from_db()
    assert job.state == "cancelled"
    assert job_progress(job)["skipped"] == 6 and Prediction.objects.count() == 2
    with pytest.raises(JobError):
        retry_job(
            InferenceJob.objects.create(model_version=classifier, selection={}, state="running")
        )
    retry_job(job)
    job = run_all(job)
    assert job.state == "done" and Prediction.objects.count() == 8


def test_unreadable_images_fail_alone(tmp_path, classifier, owner):
    image_set = make_set(tmp_path, 4, owner=owner)
    broken = Image.objects.filter(image_set=image_set).order_by("pk").first()
    Image.objects.filter(pk=broken.pk).update(storage_key="missing/nothing.jpg")
    job = run_all(start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=4))
    assert job.state == "failed"
    batch = job.batches.get()
    assert batch.failed_image_ids == [broken.pk] and "cannot read" in batch.error
    assert Prediction.objects.count() == 3


def test_only_images_the_user_may_see_are_selected(tmp_path, classifier, owner, django_user_model):
    image_set = make_set(tmp_path, 3, owner=owner)
    image_set.state = "draft"
    image_set.save()
    stranger = django_user_model.objects.create_user("stranger")
    assert start_job(classifier, {"image_set": image_set.pk}, stranger).total == 0
    assert start_job(classifier, {"image_set": image_set.pk}, owner).total == 3
    with pytest.raises(JobError, match="selection"):
        start_job(classifier, {"everything": True}, owner)


def test_job_and_selection_errors_are_field_errors_naming_field_and_reason(classifier, owner):
    with pytest.raises(JobError) as refused:
        start_job(classifier, {"image_set": "one"}, owner)
    assert isinstance(refused.value, FieldError) and isinstance(refused.value.__cause__, FieldError)
    assert refused.value.field == "image_set"
    assert refused.value.reason == "must be an image set's id (an integer)"
    assert str(refused.value) == "image_set: must be an image set's id (an integer)"
    with pytest.raises(JobError) as refused:
        start_job(classifier, {"image_ids": [1]}, owner, batch_size=-1)
    assert (refused.value.field, refused.value.reason) == ("batch_size", "must be 1 or more")
    with pytest.raises(JobError) as refused:
        start_job(classifier, {"image_ids": [1]}, owner, allow_empty=False)
    assert (refused.value.field, refused.value.reason) == (
        "selection",
        "selects no image you may see",
    )


def test_the_model_card_exports_as_json_with_ai4_metadata_names(classifier):
    classifier.metrics = {"test_accuracy": 0.875, "test_images": 8}
    card = json.loads(json.dumps(model_card(classifier)))
    assert card["metadata_version"] == "2.0.0"
    for name in (
        "title",
        "summary",
        "description",
        "dates",
        "links",
        "tags",
        "tasks",
        "categories",
        "libraries",
        "data-type",
        "license",
    ):
        assert name in card
    assert card["license"] == "Apache-2.0" and card["tasks"] == ["Classification"]
    extra = card["aquacat"]
    assert extra["weights"]["sha256"] == classifier.weights_sha256
    assert extra["input_spec"]["size"] == [224, 224] and len(extra["labels"]) == 6
    assert extra["metrics"]["test_accuracy"] == 0.875


def verified_at(classifier, images_per_s: float):
    """A numerics record as verification writes it: the chosen variant's speed."""
    chosen = {"precision": "fp32", "channels_last": True, "batch_size": 4}
    row = {**chosen, "images_per_s": images_per_s, "passes": True}
    classifier.metrics = {"numerics": {"cpu": {"chosen": chosen, "variants": [row]}}}
    classifier.save()
    return classifier


@override_settings(INFERENCE_BATCH_SIZE=4)
def test_a_fast_verified_model_gets_larger_tasks_in_whole_forward_batches(
    tmp_path, classifier, owner
):
    image_set = make_set(tmp_path, 14, owner=owner)
    selection = {"image_set": image_set.pk}
    assert start_job(classifier, selection, owner).batches.count() == 4  # unverified: 4 a task
    verified_at(classifier, 5.0)  # 10 images in TASK_SECONDS: two forward batches of 4
    job = start_job(classifier, selection, owner)
    assert job.batch_size == 8
    assert list(job.batches.order_by("number").values_list("size", flat=True)) == [8, 6]
    verified_at(classifier, 1.0)  # slower than a forward batch per task: one batch still
    assert start_job(classifier, selection, owner).batch_size == 4
    verified_at(classifier, 1e6)
    assert start_job(classifier, selection, owner).batch_size == 1024
    assert start_job(classifier, selection, owner, batch_size=3).batch_size == 3  # asked for
    done = run_all(start_job(verified_at(classifier, 5.0), selection, owner))
    assert done.state == "done" and done.predictions.count() == 14
