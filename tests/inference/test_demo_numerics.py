"""`load_demo` has the shipped models' numerics verified: queued for a worker,
ahead of the demo's embedding job, or verified in its own process when no broker
answers."""

from __future__ import annotations

import io
import time

import pytest
from celery import current_app
from django.core.management import call_command
from django.core.management.base import BaseCommand

from catalogue.management.commands.load_demo import verify_shipped_models
from inference.models import InferenceJob, ModelVersion
from inference.numerics.policy import recorded
from inference.services import register_embedder

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services("postgres", "redis")]


def test_load_demo_queues_verification_and_a_worker_records_it(start_worker, settings):
    worker = start_worker("demo-numerics", INFERENCE_NUMERICS_SAMPLE="8")
    settings.INFERENCE_QUEUE = worker.queue
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    embedder = register_embedder()
    assert f"demo: numerics of model versions {embedder.pk} queued for a worker" in out.getvalue()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        embedder = ModelVersion.objects.get(pk=embedder.pk)
        job = InferenceJob.objects.filter(model_version=embedder).first()
        if "numerics" in embedder.metrics and job is not None and job.state == "done":
            break
        time.sleep(0.5)
    entry = embedder.metrics["numerics"]["cpu"]
    assert entry["sample"]["images"] == 8 and recorded(embedder, "cpu") is not None
    assert all(row["min_cosine"] >= 0.999 for row in entry["variants"] if row["passes"])
    assert job is not None and job.state == "done" and job.total == 105
    # A second run finds every version verified: nothing queued again.
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert "numerics of model versions" not in again.getvalue()


def test_without_a_broker_the_demo_models_are_verified_here(closed_port, settings):
    settings.INFERENCE_NUMERICS_SAMPLE = 8
    command = BaseCommand(stdout=io.StringIO())
    reachable = current_app.conf.broker_write_url  # where tasks are sent
    current_app.conf.broker_write_url = f"redis://127.0.0.1:{closed_port}/0"
    try:
        verify_shipped_models(command)
    finally:
        current_app.conf.broker_write_url = reachable
    embedder = register_embedder()
    output = command.stdout.getvalue()
    assert f"numerics of model versions {embedder.pk} verified here (no broker)" in output
    embedder.refresh_from_db()
    entry = embedder.metrics["numerics"]["cpu"]
    assert entry["sample"] == {"images": 8, "source": "demo images"}
    assert entry["chosen"] is not None
