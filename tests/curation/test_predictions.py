"""Model predictions become predicted annotations, and a newer version's changes
go to the review queue: the shipped classifier run for real over real images
(versions 1.0.0 and 1.1.0), a detector's boxes recorded as a batch records them,
person-reviewed annotations never overwritten, published sets left frozen."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from curation.models import Annotation, Label, Labelling, LabelSet, ReviewEvent
from curation.services import labels, review
from curation.services.predictions import record_predictions, review_queue
from inference.models import ModelVersion, Prediction
from inference.services import enrichment, register_model_version, start_job
from tests.curation.conftest import ready_set
from tests.inference.conftest import make_set, register_shipped, run_all

pytestmark = pytest.mark.django_db


def model_annotations(image_set):
    return Annotation.objects.filter(image__image_set=image_set).select_related(
        "label", "model_version"
    )


def other_class(version: ModelVersion, image) -> str:
    """A class of the model the older version did not give this image."""
    given = Prediction.objects.filter(image=image).values_list("label", flat=True)
    return next(name for name in version.labels if name not in given)


def test_two_versions_predict_replace_keep_reviewed_and_queue_label_changes(people, tmp_path):
    image_set = ready_set(people, images=4)
    image_set.reviewers.add(people["reviewer"])
    first_version = register_shipped()
    run_all(start_job(first_version, {"image_set": image_set.pk}, people["owner"]))

    made = list(model_annotations(image_set).order_by("image_id"))
    assert len(made) == 4
    label_set = Labelling.objects.get(image_set=image_set).label_set
    assert label_set.state == LabelSet.State.DRAFT
    for annotation in made:
        assert (annotation.status, annotation.shape, annotation.coordinates) == (
            "predicted",
            "whole",
            [],
        )
        assert annotation.model_version == first_version
        assert annotation.label.label_set == label_set
        prediction = Prediction.objects.get(image=annotation.image, model_version=first_version)
        assert annotation.label.name == prediction.label
        assert annotation.confidence == pytest.approx(prediction.confidence)
        [event] = ReviewEvent.objects.filter(annotation=annotation)
        assert (event.action, event.before, event.model_version) == ("predict", None, first_version)
        assert event.after["version"] == "1.0.0"
    assert not review_queue(image_set).exists()

    # A person validates the second image's class.
    changed, validated, unchanged, same = made
    review.review(actor=people["reviewer"], ids=[validated.pk], action="validate")

    # 1.1.0 disagrees on the first two images (as a retrained model would) and is
    # run for real on the others.
    newer = register_shipped(version="1.1.0")
    job = start_job(newer, {"image_set": image_set.pk}, people["owner"])
    for annotation in (changed, validated):
        Prediction.objects.create(
            image=annotation.image,
            model_version=newer,
            job=job,
            label=other_class(newer, annotation.image),
            confidence=0.42,
        )
    run_all(job)

    after = {a.pk: a for a in model_annotations(image_set)}
    assert set(after) == {a.pk for a in made}  # replaced in place, nothing added
    relabelled = after[changed.pk]
    assert relabelled.status == "predicted" and relabelled.model_version == newer
    assert relabelled.label.name != changed.label.name and relabelled.revision == 2
    assert relabelled.label.label_set == label_set
    kept = after[validated.pk]
    assert (kept.status, kept.label_id, kept.model_version) == (
        "validated",
        validated.label_id,
        first_version,
    )
    for pk in (unchanged.pk, same.pk):
        assert after[pk].model_version == newer and after[pk].status == "predicted"
    last = ReviewEvent.objects.filter(annotation_id=changed.pk).order_by("pk").last()
    assert last.action == "predict" and last.model_version == newer
    assert (last.before["version"], last.after["version"]) == ("1.0.0", "1.1.0")
    assert (last.before["label_name"], last.after["label_name"]) == (
        changed.label.name,
        relabelled.label.name,
    )
    assert not ReviewEvent.objects.filter(annotation_id=validated.pk, model_version=newer)

    queue = list(review_queue(image_set))
    assert [a.pk for a in queue] == [changed.pk]
    assert (queue[0].changed_from, queue[0].changed_to) == (
        changed.label.name,
        relabelled.label.name,
    )
    assert (queue[0].from_version, queue[0].to_version) == ("1.0.0", "1.1.0")
    client = APIClient()
    client.force_login(people["reviewer"])
    listed = client.get(f"/api/v1/annotations/?image_set={image_set.uuid}&changed=true")
    assert [row["id"] for row in listed.json()["results"]] == [changed.pk]

    # Recording the same version again writes nothing twice.
    events = ReviewEvent.objects.count()
    assert record_predictions(newer, [a.image_id for a in made]) == []
    assert ReviewEvent.objects.count() == events

    # Reviewing the queued annotation takes it out of the queue.
    review.review(actor=people["reviewer"], ids=[changed.pk], action="validate")
    assert not review_queue(image_set).exists()


def register_detector(version: str) -> ModelVersion:
    return register_model_version(
        name="plankton-detector",
        task="detection",
        licence="Apache-2.0",
        version=version,
        framework=ModelVersion.Framework.DEEPAAS,
        labels=["Tripos", "Ciliophora"],
        endpoint={"url": "http://127.0.0.1:9/", "name": "detector"},
    )


def detect(version: ModelVersion, image, boxes: list[tuple[str, list[float]]]) -> None:
    """Write a detector's outputs for one image as a batch does."""
    results = {image.pk: [{"label": n, "confidence": 0.8, "box": b} for n, b in boxes]}
    enrichment.write_predictions(version, None, results)
    enrichment.enrich_images(version, [image.pk])


def test_detections_become_boxes_matched_across_versions(people):
    image_set = ready_set(people, images=1)
    image = image_set.images.get()
    label_set = labels.create_label_set(
        actor=people["curator"], name="Plankton", labels=[{"name": "Tripos"}]
    )
    labels.use_label_set(actor=people["curator"], image_set=image_set, label_set=label_set)
    old = register_detector("1.0")
    width, height = image.width, image.height
    # The third box reaches past the right edge: clipped to the image.
    detect(
        old,
        image,
        [
            ("Tripos", [1, 1, 11, 11]),
            ("Tripos", [20, 20, 30, 30]),
            ("Tripos", [width - 5, 0, width + 3, 6]),
        ],
    )
    boxes = {tuple(a.coordinates): a for a in model_annotations(image_set)}
    assert set(boxes) == {(1, 1, 11, 11), (20, 20, 30, 30), (width - 5, 0, width, 6)}
    assert {a.shape for a in boxes.values()} == {"box"}
    assert Label.objects.filter(label_set=label_set).count() == 1  # the label existed
    rejected = boxes[(20, 20, 30, 30)]
    review.review(actor=people["curator"], ids=[rejected.pk], action="reject")

    newer = register_detector("1.1")
    # Same first box, relabelled; the rejected box found again; the edge box gone;
    # a new box (with a label the draft label set lacks: added).
    detect(
        newer,
        image,
        [
            ("Ciliophora", [1.5, 1, 11.5, 11]),
            ("Tripos", [20, 21, 30, 31]),
            ("Tripos", [40, 40, min(60, width), min(60, height)]),
        ],
    )
    after = list(model_annotations(image_set).order_by("pk"))
    by_pk = {a.pk: a for a in after}
    first = by_pk[boxes[(1, 1, 11, 11)].pk]
    assert (first.label.name, first.coordinates, first.model_version) == (
        "Ciliophora",
        [1.5, 1.0, 11.5, 11.0],
        newer,
    )
    assert by_pk[rejected.pk].status == "rejected" and by_pk[rejected.pk].coordinates == [
        20,
        20,
        30,
        30,
    ]
    assert boxes[(width - 5, 0, width, 6)].pk not in by_pk
    gone = ReviewEvent.objects.get(action="delete", model_version=newer)
    assert gone.before["version"] == "1.0" and gone.annotation is None
    [new_box] = [a for a in after if a.pk not in {b.pk for b in boxes.values()}]
    assert new_box.model_version == newer and new_box.status == "predicted"
    assert Label.objects.filter(label_set=label_set, name="Ciliophora").exists()
    assert [a.pk for a in review_queue(image_set)] == [first.pk]


def test_a_published_label_set_takes_no_new_labels(people):
    image_set = ready_set(people, images=1)
    image = image_set.images.get()
    label_set = labels.create_label_set(
        actor=people["curator"], name="Fixed", labels=[{"name": "Tripos"}]
    )
    labels.publish_label_set(actor=people["curator"], label_set=label_set)
    labels.use_label_set(actor=people["curator"], image_set=image_set, label_set=label_set)
    detect(register_detector("1.0"), image, [("Tripos", [1, 1, 9, 9]), ("Other", [2, 2, 8, 8])])
    assert [a.label.name for a in model_annotations(image_set)] == ["Tripos"]
    assert list(label_set.labels.values_list("name", flat=True)) == ["Tripos"]
    assert Prediction.objects.filter(image=image).count() == 2  # both kept as predictions
    # A newer version naming a label the set cannot take, where the older found a
    # Tripos: the older prediction stays (nothing replaces it).
    [kept] = model_annotations(image_set)
    detect(register_detector("1.1"), image, [("Other", [1, 1, 9, 9])])
    assert [a.pk for a in model_annotations(image_set)] == [kept.pk]
    assert not ReviewEvent.objects.filter(action="delete").exists()


def test_predictions_on_a_published_set_stay_prediction_rows(tmp_path, people):
    image_set = make_set(tmp_path, 2, owner=people["owner"])
    assert image_set.state == "published"
    version = register_shipped()
    run_all(start_job(version, {"image_set": image_set.pk}, people["owner"]))
    assert Prediction.objects.filter(model_version=version).count() == 2
    assert not Annotation.objects.exists() and not ReviewEvent.objects.exists()
    assert not Labelling.objects.filter(image_set=image_set).exists()
