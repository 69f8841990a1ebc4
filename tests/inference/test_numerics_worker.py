"""A registered version's numerics verified by a real worker, from the task that
registration queues once it is committed."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from inference.models import ModelVersion
from inference.numerics.policy import queue_verification, recorded
from tests.inference.conftest import register_shipped

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services("redis")]


def test_a_worker_verifies_a_registered_version_and_records_it(start_worker, settings):
    worker = start_worker("numerics", INFERENCE_NUMERICS_SAMPLE="8")
    settings.INFERENCE_QUEUE = worker.queue
    with transaction.atomic():
        version = register_shipped()
        queue_verification(version)  # what registration and `manage.py train` call
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        version = ModelVersion.objects.get(pk=version.pk)
        if "numerics" in version.metrics:
            break
        time.sleep(0.5)
    entry = version.metrics["numerics"]["cpu"]
    assert entry["sample"] == {"images": 8, "source": "demo images"}
    assert entry["chosen"] and recorded(version, "cpu") is not None
    assert all(row["top1_agreement"] == 1.0 for row in entry["variants"])
