"""Model outputs on catalogue rows: predictions written onto images through
catalogue.services.enrichment (other models' entries kept, a repeat changes
nothing, published sets too), and the changes a newer version records."""

from __future__ import annotations

import pytest

from catalogue.models import Image, ImageSet, SearchOutbox
from catalogue.services.enrichment import record_predictions, record_set_summaries
from inference.models import Prediction, PredictionChange
from inference.services import start_job
from tests.inference.conftest import make_set, register_shipped, run_all

pytestmark = pytest.mark.django_db


def predicted(model: str, version: str, label: str) -> dict:
    return {"model": model, "version": version, "label": label, "status": "predicted"}


def test_predictions_replace_only_this_models_entries_and_bump_the_revision(tmp_path, owner):
    image_set = make_set(tmp_path, 2, owner=owner)
    assert image_set.state == "published"  # derived data: allowed on a published set
    first, second = Image.objects.filter(image_set=image_set).order_by("pk")
    other = predicted("other-model", "2.0", "Ciliophora")
    Image.objects.filter(pk=first.pk).update(
        fields={**first.fields, "predictions": [other, predicted("m", "1.0", "Tripos"), "junk"]}
    )
    SearchOutbox.objects.all().delete()
    new = [predicted("m", "1.1", "Chaetoceros")]

    replaced = record_predictions("m", "1.1", {first.pk: new, second.pk: new})

    assert replaced == {first.pk: [predicted("m", "1.0", "Tripos")], second.pk: []}
    first_before, second_before = first.revision, second.revision
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.fields["predictions"] == [other, *new]
    assert second.fields["predictions"] == new
    assert (first.revision, second.revision) == (first_before + 1, second_before + 1)
    queued = set(SearchOutbox.objects.values_list("kind", "object_id"))
    assert queued == {("image", first.pk), ("image", second.pk)}

    # The same version again changes nothing: no revision, no outbox entry.
    SearchOutbox.objects.all().delete()
    assert record_predictions("m", "1.1", {first.pk: new}) == {}
    assert Image.objects.get(pk=first.pk).revision == first.revision
    assert not SearchOutbox.objects.exists()


def test_set_summaries_bump_the_sets_revision_and_queue_its_document(tmp_path, owner):
    image_set = make_set(tmp_path, 1, owner=owner)
    before = ImageSet.objects.get(pk=image_set.pk).revision
    SearchOutbox.objects.all().delete()
    record_set_summaries([image_set.pk])
    assert ImageSet.objects.get(pk=image_set.pk).revision == before + 1
    assert set(SearchOutbox.objects.values_list("kind", "object_id")) == {("set", image_set.pk)}


def test_a_newer_version_records_what_changed(tmp_path, classifier, owner):
    image_set = make_set(tmp_path, 6, owner=owner)
    run_all(start_job(classifier, {"image_set": image_set.pk}, owner))
    newer = register_shipped(version="1.1.0")
    first = Image.objects.filter(image_set=image_set).order_by("pk").first()
    # Make 1.1.0 disagree on one image (as a retrained model would).
    job = start_job(newer, {"image_set": image_set.pk}, owner)
    Prediction.objects.create(
        image=first, model_version=newer, job=job, label="Tripos", confidence=0.99
    ) if first.fields["predictions"][0]["label"] != "Tripos" else Prediction.objects.create(
        image=first, model_version=newer, job=job, label="Ciliophora", confidence=0.99
    )
    run_all(job)
    first.refresh_from_db()
    [entry] = first.fields["predictions"]
    assert entry["version"] == "1.1.0"
    change = PredictionChange.objects.get()
    assert change.image == first and change.previous_version == classifier
    assert change.before[0]["label"] != change.after[0]["label"]
    assert not change.reviewed
