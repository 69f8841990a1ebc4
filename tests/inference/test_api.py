"""/api/v1/models/ and /api/v1/jobs/: the cards and a job's progress."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from inference.cards import model_card
from tests.inference.conftest import register_shipped
from tests.inference.test_pages import METRICS, make_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(db):
    return register_shipped(metrics=METRICS)


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def test_the_model_list_names_each_version_and_its_card(version):
    response = client_for().get("/api/v1/models/")
    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == version.pk and row["version"] == "1.0.0"
    assert row["url"].endswith(f"/api/v1/models/{version.pk}/")
    card = client_for().get(row["url"])
    assert card.status_code == 200
    version.refresh_from_db()
    assert card.json() == json.loads(json.dumps(model_card(version)))
    assert card.json()["aquacat"]["weights"]["sha256"] == version.weights_sha256


def test_an_unknown_model_version_is_a_problem(version):
    response = client_for().get(f"/api/v1/models/{version.pk + 1000}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_a_job_shows_its_progress_to_its_user_and_staff(version, users, who):
    job = make_job(version, users["owner"])
    response = client_for(users[who]).get(f"/api/v1/jobs/{job.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "running" and body["total"] == 4
    assert body["progress"]["processed"] == 2 and body["progress"]["failed_images"] == 1
    assert body["progress"]["fraction"] == 0.5
    assert body["model"] == version.model.name and body["summary"] == {}


@pytest.mark.parametrize("who", ["other", "anonymous"])
def test_a_job_is_not_found_for_anyone_else(version, users, who):
    job = make_job(version, users["owner"])
    response = client_for(users.get(who)).get(f"/api/v1/jobs/{job.pk}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
