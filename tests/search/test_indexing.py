"""From writes to the index: outbox, worker, versions, outages, reindex, reconcile."""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.db import connection

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import SearchOutbox
from catalogue.search import get_backend
from catalogue.search.backends.engine import EngineBackend
from catalogue.search.backends.engine.client import SearchEngineError
from catalogue.search.documents import documents
from catalogue.search.maintenance import rebuild, reconcile, truth
from catalogue.search.outbox import process_outbox
from catalogue.search.query import SearchQuery
from catalogue.selectors import search_visibility
from tests.search.conftest import drop_backend, index_corpus, make_backend
from tests.tcp_proxy import TcpProxy


def wait_until(check, timeout=60.0, interval=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False


def visible_titles(backend, **params) -> list[str]:
    backend.refresh()
    result = backend.search(SearchQuery(**params).validate(), search_visibility(None))
    return [hit.document["title"] for hit in result.hits]


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_is_indexed_by_the_worker(celery_worker):
    backend = get_backend()
    backend.setup()
    image_set = services.create_image_set(
        actor=SYSTEM, title="Hydrophone spectrograms of harbour porpoises", state="published"
    )
    assert wait_until(
        lambda: (
            "Hydrophone spectrograms of harbour porpoises"
            in visible_titles(backend, text="porpoises")
        )
    ), "the worker did not index the new set"
    # A published set's metadata is frozen; who may see it can change.
    services.update_image_set(image_set, actor=SYSTEM, access="restricted")
    assert wait_until(lambda: visible_titles(backend, text="porpoises") == [])
    assert wait_until(lambda: not SearchOutbox.objects.exists())


@pytest.mark.services("opensearch")
@pytest.mark.django_db(transaction=True)
def test_engine_down_during_writes_then_back(start_worker, settings):
    """The engine is cut off (a real TCP outage) while sets are written: the writes
    succeed, the outbox keeps them, and once the engine is back the index converges."""
    target = urlparse(os.environ["SEARCH_URL_OPENSEARCH"])
    proxy = TcpProxy(target.hostname, target.port)
    proxy.start()
    worker = start_worker(
        "outage", SEARCH_URL=proxy.url, SEARCH_ENGINE="opensearch", SEARCH_TIMEOUT="2"
    )
    settings.CELERY_TASK_DEFAULT_QUEUE = worker.queue
    proxy.stop()
    titles = [f"Beach camera survey {n}" for n in range(5)]
    for title in titles:
        services.create_image_set(
            actor=SYSTEM, title=title, state="published"
        )  # never waits for the engine
    time.sleep(2)
    assert SearchOutbox.objects.count() >= len(titles)
    proxy.start()
    assert wait_until(
        lambda: (
            sorted(visible_titles(make_backend_at(settings), text="beach camera", page_size=50))
            == sorted(titles)
        ),
        timeout=90,
    ), "the index did not converge after the engine came back"
    assert wait_until(lambda: not SearchOutbox.objects.exists())
    proxy.stop()


def make_backend_at(settings):
    return EngineBackend(
        url=os.environ["SEARCH_URL_OPENSEARCH"],
        kind="opensearch",
        prefix=settings.SEARCH_INDEX_PREFIX,
    )


@pytest.mark.services("opensearch")
@pytest.mark.django_db
def test_outbox_survives_a_failed_run(closed_port):
    services.create_image_set(
        actor=SYSTEM, title="Diatom micrographs of Lake Constance", state="published"
    )
    pending = SearchOutbox.objects.count()
    dead = EngineBackend(url=f"http://127.0.0.1:{closed_port}", kind="opensearch")
    with pytest.raises((SearchEngineError, ConnectionError)):
        process_outbox(dead)
    assert SearchOutbox.objects.count() == pending
    live = make_backend("opensearch")
    live.setup()
    try:
        assert process_outbox(live)["indexed"] >= 1
        assert not SearchOutbox.objects.exists()
        assert visible_titles(live, text="constance") == ["Diatom micrographs of Lake Constance"]
    finally:
        drop_backend(live)


@pytest.mark.django_db
def test_late_and_repeated_tasks_change_nothing_newer(backend, corpus):
    image_set = corpus.sets["copepods"]
    [old] = documents("set", [image_set.pk])
    services.update_image_set(image_set, actor=SYSTEM, access="restricted")
    process_outbox(backend)
    process_outbox(backend)  # a redelivered task
    backend.index("set", [old])  # a task that was late, with the state before the update
    backend.refresh()
    # The late document (still open) must not bring the restricted set back.
    assert visible_titles(backend, text="copepods") == []
    owner = corpus.viewer("alice")
    result = backend.search(SearchQuery(text="copepods").validate(), owner)
    assert [h.document["access"] for h in result.hits if h.id == image_set.pk] == ["restricted"]


@pytest.mark.django_db(transaction=True)
def test_reindex_while_readers_search(backend, corpus):
    index_corpus(backend, corpus)
    failures, empties, reads = [], [], [0]
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                try:
                    found = visible_titles(backend, page_size=50)
                except Exception as error:  # every failed read is a finding
                    failures.append(repr(error))
                    continue
                reads[0] += 1
                if not found:
                    empties.append(reads[0])
        finally:
            connection.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(3):
            rebuild(backend, "set")
    finally:
        stop.set()
        thread.join()
    assert reads[0] > 0
    assert failures == [] and empties == []


@pytest.mark.django_db
def test_reconcile_repairs_drift(backend, corpus):
    index_corpus(backend, corpus)
    backend.delete("set", [corpus.sets["oil"].pk])  # lost
    [doc] = documents("set", [corpus.sets["diatoms"].pk])
    backend.delete("set", [doc["id"]])
    backend.index("set", [{**doc, "revision": doc["revision"] - 1}])  # stale
    backend.index("set", [{**doc, "id": 99999999, "revision": 1}])  # no longer in the database
    report = reconcile(backend, "set")
    assert report["repaired"] == 2 and report["deleted"] == 1
    assert backend.revisions("set") == truth("set")


@pytest.mark.django_db
def test_commands_print_reports(capsys, settings):
    services.create_image_set(actor=SYSTEM, title="Seagrass meadows", state="published")
    call_command("search_reindex")
    call_command("search_reconcile")
    out = capsys.readouterr().out
    assert '"kind": "set"' in out and '"kind": "image"' in out
    call_command("search", "q=seagrass")
    assert "Seagrass meadows" in capsys.readouterr().out
