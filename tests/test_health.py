"""/health: a real round trip per part, and the failing part named."""

import pytest
from django.test import override_settings

from aquacat.celery import app

pytestmark = pytest.mark.django_db

PARTS = {"database", "search", "broker", "storage"}


def test_every_part_ok(client, celery_worker):
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["parts"]) == PARTS
    for name, part in body["parts"].items():
        assert part["status"] == "ok", (name, part)
    assert body["parts"]["broker"]["worker"].endswith(
        tuple(f":{pid}" for pid in child_pids(celery_worker.pid))
    )


@pytest.mark.services("postgres", "redis", "opensearch", "s3")
def test_every_part_is_the_real_service(client, celery_worker):
    parts = client.get("/health").json()["parts"]
    assert parts["database"]["backend"] == "postgresql"
    assert parts["search"]["backend"] == "opensearch"
    assert parts["storage"]["backend"] == "S3Storage"
    assert app.conf.broker_url.startswith("redis://")


def test_search_engine_down_is_named(client, celery_worker, closed_port):
    with override_settings(SEARCH_URL=f"http://127.0.0.1:{closed_port}", SEARCH_TIMEOUT=2):
        response = client.get("/health")
    assert_only_part_down(response, "search", str(closed_port))


def test_storage_down_is_named(client, celery_worker, closed_port):
    dead_s3 = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "aquacat",
            "endpoint_url": f"http://127.0.0.1:{closed_port}",
            "access_key": "x",
            "secret_key": "y",
            "region_name": "us-east-1",
        },
    }
    storages = {
        "default": dead_s3,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        response = client.get("/health")
    assert_only_part_down(response, "storage", "Could not connect")


def test_stopped_worker_is_named(client, start_worker):
    worker = start_worker("stopped")
    with override_settings(CELERY_TASK_DEFAULT_QUEUE=worker.queue, HEALTH_TIMEOUT=3):
        assert client.get("/health").json()["parts"]["broker"]["status"] == "ok"
        worker.stop()
        response = client.get("/health")
    assert_only_part_down(response, "broker", "no worker executed the ping task")


def assert_only_part_down(response, down: str, reason: str) -> None:
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["parts"][down]["status"] == "error"
    assert reason in body["parts"][down]["error"]
    for name in PARTS - {down}:
        assert body["parts"][name]["status"] == "ok", (name, body["parts"][name])


def child_pids(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]
