"""Running a model on a set from the web UI; cancelling and retrying its job."""

from __future__ import annotations

import pytest

from inference.models import InferenceJob
from inference.services import register_embedder
from tests.inference.conftest import make_set, register_shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def flowcam(tmp_path, owner):
    return make_set(tmp_path, 6, owner=owner, title="Six <i>FlowCam</i> images")


def test_only_editors_may_run_models_on_a_set(client, flowcam, owner, django_user_model):
    url = f"/sets/{flowcam.uuid}/analyse"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(django_user_model.objects.create_user("someone"))
    assert client.get(url).status_code == 403  # public, but not theirs
    flowcam.__class__.objects.filter(pk=flowcam.pk).update(access="restricted")
    assert client.get(url).status_code == 404  # hidden from them
    assert client.post(url, {"model_version": 1}).status_code == 404
    assert not InferenceJob.objects.exists()


def test_a_curator_starts_a_job_and_follows_it(client, flowcam, owner, settings):
    settings.INFERENCE_QUEUE = "nobody-consumes-this-queue"  # the job stays queued
    classifier = register_shipped()
    embedder = register_embedder()
    client.force_login(owner)
    page = client.get(f"/sets/{flowcam.uuid}/analyse")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'value="{classifier.pk}"' in html and f'value="{embedder.pk}"' not in html
    assert "<i>FlowCam</i>" not in html  # escaped

    wrong = client.post(f"/sets/{flowcam.uuid}/analyse", {"model_version": embedder.pk})
    assert "Choose one of the models listed." in wrong.content.decode()
    assert not InferenceJob.objects.exists()

    started = client.post(f"/sets/{flowcam.uuid}/analyse", {"model_version": classifier.pk})
    job = InferenceJob.objects.get()
    assert started.status_code == 302 and started.url == f"/jobs/{job.pk}/"
    assert job.selection == {"image_set": flowcam.pk} and job.total == 6
    assert job.created_by == owner
    progress = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'http-equiv="refresh"' in progress and "0/6" in progress and "Cancel job" in progress
    assert f"Job {job.pk}" in client.get(f"/sets/{flowcam.uuid}/analyse").content.decode()

    client.post(f"/jobs/{job.pk}/cancel")
    job.refresh_from_db()
    assert job.state == "cancelled"
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in page and "Retry what did not finish" in page
    client.post(f"/jobs/{job.pk}/retry")
    job.refresh_from_db()
    assert job.state == "running" and job.batches.filter(state="pending").count() == 1


def test_nobody_else_may_cancel_a_job(client, flowcam, owner, django_user_model, settings):
    settings.INFERENCE_QUEUE = "nobody-consumes-this-queue"
    classifier = register_shipped()
    client.force_login(owner)
    client.post(f"/sets/{flowcam.uuid}/analyse", {"model_version": classifier.pk})
    job = InferenceJob.objects.get()
    client.force_login(django_user_model.objects.create_user("someone"))
    assert client.post(f"/jobs/{job.pk}/cancel").status_code == 404
    job.refresh_from_db()
    assert job.state == "queued"
