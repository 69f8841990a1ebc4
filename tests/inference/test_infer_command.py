"""manage.py infer: queue a job from the command line and follow it to its end."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inference.models import ImageEmbedding, InferenceJob, Prediction
from tests.inference.conftest import make_set, register_shipped


def run(*args) -> str:
    out = io.StringIO()
    call_command("infer", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_queue_without_waiting_then_cancel_and_retry(tmp_path, owner, settings):
    settings.INFERENCE_QUEUE = "nobody-consumes-this-queue"
    image_set = make_set(tmp_path, 5, owner=owner)
    register_shipped()
    queued = json.loads(
        run("--model", "flowcam-phytoplankton", "--set", str(image_set.pk), "--no-wait", "--json")
    )
    job = InferenceJob.objects.get(pk=queued["job"])
    assert queued["total"] == 5 and queued["processed"] == 0 and job.state == "queued"
    assert job.created_by is None and job.selection == {"image_set": image_set.pk}
    assert "cancelled" in run("--cancel", str(job.pk))
    assert json.loads(run("--retry", str(job.pk), "--no-wait", "--json"))["state"] == "running"


@pytest.mark.django_db
def test_a_search_selects_what_it_finds_and_errors_name_the_input(tmp_path, owner, settings):
    settings.INFERENCE_QUEUE = "nobody-consumes-this-queue"
    settings.SEARCH_URL = ""
    make_set(tmp_path, 3, owner=owner)
    register_shipped()
    with pytest.raises(CommandError, match="no model version nosuch"):
        run("--model", "nosuch", "--set", "1")
    with pytest.raises(CommandError, match="say what to run on"):
        run("--model", "flowcam-phytoplankton")
    with pytest.raises(CommandError, match="depth_min"):
        run("--model", "flowcam-phytoplankton", "--search", "depth_min=deep")
    with pytest.raises(CommandError, match="no job 999"):
        run("--cancel", "999")
    assert "flowcam-phytoplankton 1.0.0 (classification)" in run("--list")


@pytest.mark.services("redis")
@pytest.mark.django_db(transaction=True)  # tasks leave on commit
def test_a_job_is_followed_to_its_end_with_a_real_worker(start_worker, settings, tmp_path, owner):
    worker = start_worker("infer-command")
    settings.INFERENCE_QUEUE = worker.queue
    image_set = make_set(tmp_path, 6, owner=owner)
    register_shipped()
    done = json.loads(run("--model", "flowcam-phytoplankton", "--set", str(image_set.pk), "--json"))
    assert done["state"] == "done" and done["processed"] == 6
    assert Prediction.objects.filter(job_id=done["job"]).values("image").distinct().count() == 6
    embedded = run("--embeddings", "--batch-size", "4")
    assert "done, 6/6 images" in embedded
    assert ImageEmbedding.objects.count() == 6
    assert "nothing to do" in run("--embeddings")
