"""The model card pages (HTML and JSON) and a job's progress page."""

from __future__ import annotations

import json

import pytest

from inference import evaluation
from inference.cards import model_card
from inference.models import InferenceJob, JobBatch
from tests.inference.conftest import register_shipped

pytestmark = pytest.mark.django_db

METRICS = {"accuracy": 0.9123, "macro_f1": 0.8876}


@pytest.fixture
def version(db):
    return register_shipped(metrics=METRICS)


def make_job(version, user) -> InferenceJob:
    """A job half done: one batch finished with one failed image, one pending."""
    job = InferenceJob.objects.create(
        model_version=version,
        selection={"image_ids": [1, 2, 3, 4]},
        created_by=user,
        state=InferenceJob.State.RUNNING,
        total=4,
        batch_size=2,
    )
    JobBatch.objects.create(
        job=job, number=0, image_ids=[1, 2], size=2, state="done", failed_image_ids=[2]
    )
    JobBatch.objects.create(job=job, number=1, image_ids=[3, 4], size=2)
    return job


def test_the_model_list_links_each_version(client, version):
    page = client.get("/models/")
    assert page.status_code == 200
    assert f'href="/models/{version.model.name}/{version.version}/"' in page.content.decode()


def test_the_card_page_shows_checksum_metrics_and_a_link_to_the_json(client, version):
    page = client.get(f"/models/{version.model.name}/{version.version}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert len(version.weights_sha256) == 64 and version.weights_sha256 in html
    for name, value in METRICS.items():
        assert name in html and str(value) in html
    for label in version.labels:
        assert label in html
    assert "Apache-2.0" in html and "Demonstration." in html
    assert f'href="/models/{version.model.name}/{version.version}/card.json"' in html


def test_the_card_page_shows_cross_validated_scores_and_thresholds(client, db):
    targets = [0] * 6 + [1] * 6
    probabilities = [[0.95, 0.05]] * 6 + [[0.4, 0.6]] * 4 + [[0.7, 0.3]] * 2
    folds = evaluation.stratified_folds(targets, 3, seed=1)
    summary = evaluation.summarise(targets, probabilities, folds, ["Actinoptychus", "Tripos"])
    version = register_shipped(
        metrics={"cross_validation": summary, "thresholds": summary["thresholds"]}
    )
    html = client.get(f"/models/{version.model.name}/{version.version}/").content.decode()
    assert 'id="cv-accuracy"' in html and "0.833" in html  # 10 of 12 right
    low, high = summary["accuracy_ci95"]
    assert f"{low:.3f}" in html and f"{high:.3f}" in html
    assert "0.95 (6 of 8 predictions, precision 1.0)" in html  # not the wrong ones at 0.7
    assert "no confidence reached 95 % precision" in html  # the second: 4 calls only
    assert html.count("<tr><td>0.") >= 2  # calibration bins


def test_card_json_is_the_cards_export(client, version):
    response = client.get(f"/models/{version.model.name}/{version.version}/card.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    version.refresh_from_db()
    assert response.json() == json.loads(json.dumps(model_card(version)))


def test_an_unknown_version_is_not_found(client, version):
    assert client.get(f"/models/{version.model.name}/9.9.9/").status_code == 404
    assert client.get("/models/no-such-model/1.0.0/card.json").status_code == 404


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_the_job_page_shows_progress_to_its_user_and_staff(client, version, users, who):
    job = make_job(version, users["owner"])
    client.force_login(users[who])
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Running" in html
    assert '<span class="progress">2/4</span>' in html
    assert '<span class="failed">1</span> failed' in html


@pytest.mark.parametrize("who", ["other", "anonymous"])
def test_the_job_page_is_not_found_for_anyone_else(client, version, users, who):
    job = make_job(version, users["owner"])
    if who != "anonymous":
        client.force_login(users[who])
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
