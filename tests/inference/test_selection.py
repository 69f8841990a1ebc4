"""A job started from a saved search selects exactly the visible images the search
finds (`kind=set`: every image of the sets found; `kind=image`: the images found),
on the database backend and a real search engine, and never the images of a set
the caller may not see."""

from __future__ import annotations

import os

import pytest
from rest_framework.test import APIClient

from catalogue.models import Image
from catalogue.search import get_backend, outbox
from catalogue.search.outbox import process_outbox
from catalogue.services import revisions
from inference.models import InferenceJob
from inference.selectors import selected_image_ids
from inference.services import start_job
from tests.inference.conftest import make_set

pytestmark = pytest.mark.django_db

BACKENDS = [
    pytest.param("database", id="database"),
    pytest.param("opensearch", id="opensearch", marks=pytest.mark.services("opensearch")),
]


@pytest.fixture(params=BACKENDS)
def search_backend(request, settings):
    if request.param == "database":
        settings.SEARCH_URL = ""
    else:
        settings.SEARCH_URL = os.environ["SEARCH_URL_OPENSEARCH"]
        settings.SEARCH_ENGINE = "opensearch"
    backend = get_backend()
    backend.setup()
    yield backend
    if request.param != "database":
        backend.drop()


def predict(images, label: str) -> list[int]:
    """Give images a model's prediction (as a job's enrichment would) and queue them
    for indexing."""
    ids = [image.pk for image in images]
    for image in Image.objects.filter(pk__in=ids):
        image.fields = {
            **(image.fields or {}),
            "predictions": [{"model": "m", "version": "1", "label": label, "confidence": 0.9}],
        }
        image.save(update_fields=["fields"])
    outbox.record("image", ids)
    return ids


@pytest.fixture
def corpus(tmp_path, owner, django_user_model, search_backend):
    for name in ("open", "restricted", "other"):
        (tmp_path / name).mkdir()
    open_set = make_set(tmp_path / "open", 4, owner=owner, title="Open FlowCam run")
    restricted = make_set(tmp_path / "restricted", 3, owner=owner, title="Restricted FlowCam run")
    restricted.access = "restricted"
    restricted.save()
    other = make_set(tmp_path / "other", 2, owner=owner, title="Diatom survey")
    tripos = predict(open_set.images.order_by("pk")[:2], "Tripos") + predict(
        restricted.images.order_by("pk")[:2], "Tripos"
    )
    predict(other.images.all(), "Ciliophora")
    revisions.set_changed(restricted)
    process_outbox(search_backend)
    search_backend.refresh()
    return {
        "sets": {"open": open_set, "restricted": restricted, "other": other},
        "tripos": set(tripos),
        "stranger": django_user_model.objects.create_user("stranger"),
        "owner": owner,
    }


def images_of(*sets) -> set[int]:
    return {pk for s in sets for pk in s.images.values_list("pk", flat=True)}


def test_a_set_search_selects_every_image_of_the_visible_sets_it_finds(corpus, classifier):
    sets = corpus["sets"]
    search = {"search": {"q": "FlowCam"}}
    for user in (corpus["stranger"], None):
        assert set(selected_image_ids(search, user)) == images_of(sets["open"])
    assert set(selected_image_ids(search, corpus["owner"])) == images_of(
        sets["open"], sets["restricted"]
    )
    job = start_job(classifier, {"search": {"q": "FlowCam", "kind": "set"}}, corpus["stranger"])
    selected = {i for ids in job.batches.values_list("image_ids", flat=True) for i in ids}
    assert job.total == 4 and selected == images_of(sets["open"])


def test_an_image_search_selects_exactly_the_visible_images_it_finds(corpus, classifier):
    sets = corpus["sets"]
    search = {"search": {"kind": "image", "predicted": ["Tripos"]}}
    visible_tripos = corpus["tripos"] & images_of(sets["open"])
    assert len(visible_tripos) == 2
    for user in (corpus["stranger"], None):
        assert set(selected_image_ids(search, user)) == visible_tripos
    assert set(selected_image_ids(search, corpus["owner"])) == corpus["tripos"]
    combined = {"search": {"kind": "image", "q": "FlowCam", "predicted": "Tripos,Ciliophora"}}
    assert set(selected_image_ids(combined, corpus["stranger"])) == visible_tripos

    client = APIClient()
    client.force_login(corpus["stranger"])
    response = client.post(
        "/api/v1/jobs/",
        {"model_version": classifier.pk, "selection": search},
        format="json",
    )
    assert response.status_code == 201, response.content
    job = InferenceJob.objects.get(pk=response.json()["id"])
    selected = {i for ids in job.batches.values_list("image_ids", flat=True) for i in ids}
    assert selected == visible_tripos and job.total == 2


def test_a_search_that_finds_only_hidden_sets_selects_nothing(corpus, classifier):
    search = {"search": {"q": "Restricted"}}
    assert selected_image_ids(search, corpus["stranger"]) == []
    assert len(selected_image_ids(search, corpus["owner"])) == 3
    client = APIClient()
    client.force_login(corpus["stranger"])
    response = client.post(
        "/api/v1/jobs/", {"model_version": classifier.pk, "selection": search}, format="json"
    )
    assert response.status_code == 404  # nothing there to run on, for this caller
    assert response.json()["errors"] == {"selection": ["selects no image you may see"]}
