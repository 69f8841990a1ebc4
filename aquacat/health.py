"""Health of every part AquaCat depends on, each proven by a real round trip.

A part is healthy only when it did the work: the database answered a query,
the search engine created, filled, searched and dropped a scratch index, a
worker executed a ping task and its result came back, and the file store kept
and returned an object. Anything short of that is reported with its error.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from celery.exceptions import TimeoutError as TaskTimeout
from django.conf import DEFAULT_STORAGE_ALIAS, settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.db import connection

from aquacat.tasks import ping
from catalogue.fixity.selectors import fixity_summary
from catalogue.search.backends.engine import client as search_engine


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    if value != 1:
        raise RuntimeError(f"SELECT 1 returned {value!r}")
    return {"backend": connection.vendor}


def check_search() -> dict:
    if not settings.SEARCH_URL:
        # The database backend: its health is the database's.
        return {"backend": "database"}
    engine = search_engine.connect()
    index = f"{settings.SEARCH_INDEX_PREFIX}-health-{uuid.uuid4().hex}"
    token = uuid.uuid4().hex
    engine.create_index(
        index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"token": {"type": "keyword"}}},
    )
    try:
        engine.index_document(index, "1", {"token": token}, refresh=True)
        found = engine.search(index, {"query": {"term": {"token": token}}})
        hits = found["hits"]["hits"]
        if len(hits) != 1 or hits[0]["_source"]["token"] != token:
            raise RuntimeError(f"scratch document not found in {index}")
    finally:
        engine.delete_index(index)
    return {"backend": engine.kind, "url": engine.url}


def check_broker() -> dict:

    token = uuid.uuid4().hex
    timeout = settings.HEALTH_TIMEOUT
    result = ping.apply_async(
        args=[token],
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
        expires=timeout * 2,
        retry_policy={"max_retries": 1, "interval_start": 0.2},
    )
    try:
        answer = result.get(timeout=timeout)
    except TaskTimeout as error:
        raise RuntimeError(
            f"no worker executed the ping task within {timeout:g}s "
            f"(queue {settings.CELERY_TASK_DEFAULT_QUEUE!r})"
        ) from error
    finally:
        result.forget()
    if answer.get("token") != token:
        raise RuntimeError("the worker answered with another token")
    return {"worker": f"{answer['host']}:{answer['pid']}"}


def check_storage() -> dict:
    payload = uuid.uuid4().hex.encode()
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(payload))
    try:
        with default_storage.open(name, "rb") as stored:
            if stored.read() != payload:
                raise RuntimeError(f"{name} came back different")
    finally:
        default_storage.delete(name)
    # default_storage is a lazy proxy of this object; name the class behind it.
    return {"backend": type(storages[DEFAULT_STORAGE_ALIAS]).__name__}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "search": check_search,
    "broker": check_broker,
    "storage": check_storage,
}


def run_part(check: Callable[[], dict]) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as error:  # any failure is reported, never raised
        return {
            "status": "error",
            "error": f"{type(error).__name__}: {error}",
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1), **detail}


def health_report() -> dict:
    """The parts' round trips decide the status (for load balancers); the fixity of
    stored files is reported beside them for operators: a changed file is no reason
    to take a web server out of service."""
    parts = {name: run_part(check) for name, check in CHECKS.items()}
    healthy = all(part["status"] == "ok" for part in parts.values())
    return {"status": "ok" if healthy else "degraded", "parts": parts, "fixity": fixity_summary()}
