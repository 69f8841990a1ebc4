"""Celery: tasks run in a real worker process over the configured broker."""

from pathlib import Path

import pytest

from aquacat.celery import app
from aquacat.tasks import ping


def parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_ping_is_executed_by_the_worker_process(celery_worker):
    answer = ping.delay("hello").get(timeout=60)
    assert answer["token"] == "hello"
    # The prefork pool runs tasks in children of the worker process we started.
    assert answer["pid"] != celery_worker.pid
    assert parent_pid(answer["pid"]) == celery_worker.pid


@pytest.mark.services("redis")
def test_broker_and_results_travel_through_redis(celery_worker):
    assert app.conf.broker_url.startswith("redis://")
    assert app.backend.__class__.__name__ == "RedisBackend"
    results = [ping.delay(str(n)) for n in range(20)]
    assert sorted(int(r.get(timeout=60)["token"]) for r in results) == list(range(20))
