"""Bulk validation of confident predictions: the review grid offers to validate a
model's predictions at or above their class's 95 %-precision threshold (from the
model card's cross-validation), and does so in one undoable review action."""

from __future__ import annotations

import statistics

import pytest
from django.test import Client
from django.urls import reverse

from curation.models import Annotation, ReviewEvent
from curation.review_selectors import confident_offers
from inference.services import start_job
from tests.curation.conftest import ready_set
from tests.inference.conftest import register_shipped, run_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def predicted(people):
    """Six real images classified by the shipped model; its card's thresholds put at
    each class's median confidence, so some predictions are above and some below."""
    image_set = ready_set(people, images=6)
    image_set.reviewers.add(people["reviewer"])
    version = register_shipped()
    run_all(start_job(version, {"image_set": image_set.pk}, people["owner"]))
    annotations = list(Annotation.objects.filter(image__image_set=image_set))
    by_label: dict[str, list[float]] = {}
    for annotation in annotations:
        by_label.setdefault(annotation.label.name, []).append(annotation.confidence)
    version.metrics = {
        **version.metrics,
        "thresholds": {
            label: {"confidence": statistics.median(found), "precision": 0.96, "above": 9}
            for label, found in by_label.items()
        },
    }
    version.save()
    above = {
        a.pk
        for a in annotations
        if a.confidence >= version.metrics["thresholds"][a.label.name]["confidence"]
    }
    assert 0 < len(above) < len(annotations)
    return image_set, version, above


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_grid_offers_and_validates_the_confident_predictions(people, predicted):
    image_set, version, above = predicted
    (offer,) = confident_offers(image_set)
    assert offer["version"] == version and offer["count"] == len(above)
    assert sum(row["count"] for row in offer["classes"]) == len(above)
    grid = client_for(people["reviewer"]).get(reverse("curation:review", args=[image_set.uuid]))
    assert f'data-confident="{version.pk}">{len(above)}</strong>' in grid.content.decode()

    url = reverse("curation:validate-confident", args=[image_set.uuid])
    done = client_for(people["reviewer"]).post(url, {"model_version": version.pk}, follow=True)
    assert f"{len(above)} prediction" in done.content.decode()
    statuses = dict(
        Annotation.objects.filter(image__image_set=image_set).values_list("pk", "status")
    )
    assert {pk for pk, status in statuses.items() if status == "validated"} == above
    assert all(status == "predicted" for pk, status in statuses.items() if pk not in above)
    events = ReviewEvent.objects.filter(annotation_id__in=above, action="validate")
    assert events.count() == len(above)
    assert all(e.actor == people["reviewer"] for e in events)
    # Nothing left to offer, and asking again changes nothing.
    assert confident_offers(image_set) == []
    again = client_for(people["reviewer"]).post(url, {"model_version": version.pk}, follow=True)
    assert "0 predictions" in again.content.decode()


def test_only_reviewers_validate_and_cards_without_thresholds_offer_nothing(people, predicted):
    image_set, version, above = predicted
    url = reverse("curation:validate-confident", args=[image_set.uuid])
    assert client_for(people["other"]).post(url, {"model_version": version.pk}).status_code == 404
    assert not Annotation.objects.filter(pk__in=above, status="validated").exists()
    version.metrics = {key: value for key, value in version.metrics.items() if key != "thresholds"}
    version.save()
    assert confident_offers(image_set) == []
    answer = client_for(people["reviewer"]).post(url, {"model_version": version.pk}, follow=True)
    assert "0 predictions" in answer.content.decode()
