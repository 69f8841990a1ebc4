"""Shared test set-up: the real services, and a real Celery worker process.

A test that needs a service says so with `@pytest.mark.services("postgres", ...)`.
Under CI (CI=true) a missing service fails the test; elsewhere the test is
skipped with a reason naming the service. `scripts/services up` starts them all
and `scripts/services env` prints the variables these probes read.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

# Loaded first, as in workers: a native library loaded before torch can make
# TorchScript hang in the process (inference/ann/library.py).
import torch  # noqa: F401
from django.core.management.base import CommandError
from django.test import TransactionTestCase

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
ARTIFACTS = Path(os.environ.get("AQUACAT_ARTIFACTS", ROOT / "artifacts"))

# Which variable points at each service, and which URL schemes count.
SERVICE_URLS = {
    "postgres": ("DATABASE_URL", ("postgres", "postgresql")),
    "redis": ("CELERY_BROKER_URL", ("redis",)),
    "opensearch": ("SEARCH_URL_OPENSEARCH", ("http", "https")),
    "elasticsearch": ("SEARCH_URL_ELASTICSEARCH", ("http", "https")),
    "s3": ("S3_ENDPOINT_URL", ("http", "https")),
    "inveniordm": ("INVENIORDM_URL", ("http", "https")),
    "oidc": ("OIDC_TEST_ISSUER", ("http", "https")),
}


def _flush_retrying_a_deadlock(flush):
    """A transactional test's teardown empties every table (TRUNCATE). A live-server
    request thread may still be finishing a response's last query then, and
    PostgreSQL resolves the two waiting on each other's locks by failing one
    (deadlock detected). The request is over a moment later: flush again."""

    @functools.wraps(flush)
    def teardown(self):
        for attempt in range(3):
            try:
                return flush(self)
            except CommandError as error:
                if "deadlock detected" not in str(error.__cause__) or attempt == 2:
                    raise
                time.sleep(1)
        return None

    return teardown


TransactionTestCase._fixture_teardown = _flush_retrying_a_deadlock(  # type: ignore[method-assign]
    TransactionTestCase._fixture_teardown
)


@functools.cache
def service_unavailable(name: str) -> str | None:
    """Why `name` cannot be used, or None when it answers on its port."""
    if name == "browser":
        chromium = os.environ.get("AQUACAT_CHROMIUM", "/usr/bin/chromium")
        return None if os.access(chromium, os.X_OK) else f"no Chromium at {chromium}"
    variable, schemes = SERVICE_URLS[name]
    url = os.environ.get(variable, "")
    if not url:
        return f"{variable} is not set"
    parsed = urlparse(url)
    if parsed.scheme not in schemes:
        return f"{variable} is {parsed.scheme}://, not {' or '.join(schemes)}"
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    try:
        socket.create_connection((parsed.hostname, port), timeout=3).close()
    except OSError as error:
        return f"{parsed.hostname}:{port} from {variable} does not answer ({error})"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("services"):
        for name in marker.args:
            reason = service_unavailable(name)
            if reason is None:
                continue
            if IN_CI:
                pytest.fail(f"{name} is required under CI but unavailable: {reason}", False)
            pytest.skip(f"{name} unavailable ({reason}); start it with scripts/services up")


def database_url(settings_dict: dict) -> str:
    """The URL of the database Django is connected to (the test database in tests)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    return (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
        f"{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    )


class WorkerProcess:
    """A `celery worker` subprocess of the project, consuming one private queue."""

    def __init__(self, queue: str, env: dict[str, str], log: Path):
        self.queue = queue
        self.name = f"{queue}@{socket.gethostname()}"
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "aquacat",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "-Q",
                queue,
                "-n",
                self.name,
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env={**env, "CELERY_TASK_DEFAULT_QUEUE": queue},
            start_new_session=True,  # its own process group: stop() reaches its pool too
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 120) -> None:
        """Ready once it has executed a ping sent to its queue."""
        from aquacat.tasks import ping

        result = ping.apply_async(args=["ready"], queue=self.queue)
        try:
            result.get(timeout=timeout)
        except Exception as error:
            self.stop()
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"worker {self.name} did not start: {error}\n{tail}") from error

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Pool processes left by a main process that was killed (tests do) or that
        # did not stop in time: each worker holds half a gigabyte.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._out.close()


# Every worker the tests started, in order: those a test started (itself or through
# its own fixtures) stop when it ends; those of module and session fixtures at the
# session's end.
STARTED_WORKERS: list[WorkerProcess] = []


@pytest.fixture(autouse=True)
def stop_workers_of_the_test():
    """Higher-scoped fixtures (a module's or the session's worker) are set up before
    this one, so only the workers the test itself started come after the mark."""
    mark = len(STARTED_WORKERS)
    yield
    for worker in STARTED_WORKERS[mark:]:
        worker.stop()


@pytest.fixture
def people(db):
    """A user in every role a set knows (None for a visitor who is not signed in)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    return {
        "anonymous": None,
        "owner": users.create_user("owner", password="pw-owner-123"),
        "curator": users.create_user("curator"),
        "reviewer": users.create_user("reviewer"),
        "other": users.create_user("other"),
        "staff": users.create_user("staff", is_staff=True),
    }


@pytest.fixture
def local_files_database_search(settings, tmp_path):
    """Files in a folder of the test's own, the database search backend (filled
    by `index_all`), and API rate counters at zero."""
    from django.core.cache import cache

    from tests.catalogue.conftest import local_storages

    settings.STORAGES = local_storages(tmp_path / "media")
    settings.SEARCH_URL = ""
    cache.clear()
    yield settings
    cache.clear()


def index_all() -> None:
    """What the indexing worker does after a commit, done here for the database
    backend; then a reconcile, because in a transactional test the suite's worker
    may have consumed the outbox first (into the engine it is configured with)."""
    from catalogue.search.backends.database import DatabaseBackend
    from catalogue.search.maintenance import reconcile
    from catalogue.search.outbox import process_outbox

    backend = DatabaseBackend()
    backend.setup()
    process_outbox(backend)
    for kind in ("set", "image"):
        reconcile(backend, kind)


@pytest.fixture(autouse=True)
def no_automatic_embeddings(settings):
    """Ingests in tests queue no embedding job unless a test asks for it
    (tests/inference/test_worker.py does), so job counts stay each test's own."""
    settings.INFERENCE_EMBED_NEW_IMAGES = False


@pytest.fixture(scope="session", autouse=True)
def isolated_session():
    """This run's own task queue and search index prefix, so that neither the
    development worker nor another run can see its tasks or its indexes."""
    from django.conf import settings

    from aquacat.celery import app

    token = uuid.uuid4().hex[:8]
    queue, prefix = f"test-{token}", f"aquacat-test-{token}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    app.conf.task_default_queue = queue
    settings.SEARCH_INDEX_PREFIX = prefix
    # Worker processes started by the tests inherit these.
    os.environ.update(
        CELERY_TASK_DEFAULT_QUEUE=queue,
        SEARCH_INDEX_PREFIX=prefix,
        SEARCH_INDEX_RETRY_MAX_SECONDS="4",
    )
    yield {"queue": queue, "prefix": prefix}
    delete_test_indexes(prefix)


def delete_test_indexes(prefix: str) -> None:
    from catalogue.search.backends.engine.client import connect

    for kind in ("opensearch", "elasticsearch"):
        url = os.environ.get(f"SEARCH_URL_{kind.upper()}")
        if not url or service_unavailable(kind):
            continue
        client = connect(url, kind).client
        for name in client.indices.get(index=f"{prefix}*", ignore_unavailable=True):
            client.indices.delete(index=name, ignore_unavailable=True)


@pytest.fixture(scope="session")
def start_worker(django_db_setup, django_db_blocker):
    """Start workers on the test database; each consumes a queue of its own
    (by default the session's queue)."""
    from django.conf import settings
    from django.db import connection

    with django_db_blocker.unblock():
        base_env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
    started: list[WorkerProcess] = []

    def start(label: str = "worker", queue: str | None = None, **env) -> WorkerProcess:
        queue = queue or f"test-{label}-{uuid.uuid4().hex[:8]}"
        env = {**base_env, "SEARCH_INDEX_PREFIX": settings.SEARCH_INDEX_PREFIX, **env}
        worker = WorkerProcess(queue, env, ARTIFACTS / "logs" / f"{queue}.log")
        started.append(worker)
        STARTED_WORKERS.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def celery_worker(start_worker, isolated_session):
    """The suite's worker, on the session's queue: tasks sent by the code under
    test (indexing after a commit, for one) go to it."""
    return start_worker("suite", queue=isolated_session["queue"])


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening on it: a service that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
