"""Publishing to the real InvenioRDM through faults: a real Celery worker killed
(SIGKILL) in the middle of the upload and another started, and two processes
asking to publish the same set at the same moment. Each ends with one record
holding every file once. No mocks: PostgreSQL, Redis, the workers and
InvenioRDM are the real ones (`scripts/services up`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.db import connection

from catalogue.access import SYSTEM
from curation import packaging
from curation.models import Deposit
from curation.services import deposits
from curation.services.deposits import publish, run_deposit
from curation.tasks import run_deposit_task
from tests.conftest import ROOT, database_url
from tests.curation.conftest import ready_set

ENDED = ("published", "failed")

pytestmark = [
    pytest.mark.services("postgres", "redis", "inveniordm"),
    pytest.mark.django_db(transaction=True),
]


def rdm_target(**options) -> dict:
    return {
        "rdm": {
            "kind": "invenio",
            "url": os.environ["INVENIORDM_URL"],
            "token": os.environ["INVENIORDM_TOKEN"],
            **options,
        }
    }


def remote(path: str, **params) -> dict:
    response = requests.get(
        os.environ["INVENIORDM_URL"].rstrip("/") + "/api" + path,
        params=params,
        headers={"Authorization": f"Bearer {os.environ['INVENIORDM_TOKEN']}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text[:500]
    return response.json()


def records_of(image_set) -> list[dict]:
    """Every record (draft or published) tagged with the set's uuid."""
    query = f'metadata.identifiers.identifier:"urn:uuid:{image_set.uuid}"'
    time.sleep(1)  # let the search index catch up
    return remote("/user/records", q=query, size=50)["hits"]["hits"]


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as found:
            return [int(child) for child in found.read().split()]
    except FileNotFoundError:
        return []


def kill_hard(worker) -> None:
    """SIGKILL the worker and its pool processes: nothing is acknowledged or cleaned up."""
    for pid in [*children(worker.pid), worker.pid]:
        os.kill(pid, signal.SIGKILL)
    worker.process.wait(timeout=30)
    worker.stop()


def wait_for(deposit: Deposit, done, seconds: float = 90) -> Deposit:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        deposit.refresh_from_db()
        if done(deposit):
            return deposit
        time.sleep(0.05)
    raise AssertionError(f"deposit {deposit.pk} is {deposit.state} ({deposit.files_done} files)")


def check_files(record_id: str, image_set, tmp_path: Path, max_files: int) -> None:
    """The record holds each file of the set's bundle once, with our checksum, and
    every image once across the packages."""
    entries = remote(f"/records/{record_id}/files")["entries"]
    keys = [entry["key"] for entry in entries]
    ours = packaging.build(image_set, tmp_path / "ours", max_files=max_files, max_bytes=10**9)
    assert sorted(keys) == sorted(built.name for built in ours.files)
    checksums = {entry["key"]: entry["checksum"] for entry in entries}
    for built in ours.packages:  # the metadata files, built now, carry the DOI
        assert checksums[built.name] == f"md5:{built.md5}"
    manifest = json.loads((ours.folder / packaging.MANIFEST).read_text())
    images = {image.sha256 for image in image_set.images.all()}
    assert sorted(entry["sha256"] for entry in manifest["images"]) == sorted(images)


def test_a_worker_killed_during_the_upload_is_resumed_by_the_next(
    people, settings, start_worker, monkeypatch, tmp_path
):
    max_files = 1  # one package per image: an upload long enough to be cut
    settings.PUBLISH_TARGETS = rdm_target(max_files=max_files)
    image_set = ready_set(people, images=24)
    env = {
        "PUBLISH_TARGETS": json.dumps(settings.PUBLISH_TARGETS),
        "S3_BUCKET": "",  # the originals this test stored, in its own folder
        "MEDIA_ROOT": settings.STORAGES["default"]["OPTIONS"]["location"],
    }
    first = start_worker("deposit-killed", **env)
    # The deposit's task goes to this test's workers only.
    monkeypatch.setattr(
        deposits,
        "queue_deposit",
        lambda pk: run_deposit_task.apply_async(args=[pk], queue=first.queue),
    )
    deposit = publish(image_set, actor=people["owner"], target="rdm")

    deposit = wait_for(deposit, lambda d: d.files_done >= 3 or d.state in ENDED)
    kill_hard(first)
    deposit.refresh_from_db()
    total = len(image_set.images.all()) + len(packaging.METADATA_FILES)
    assert 3 <= deposit.files_done < deposit.files_total == total  # cut during the upload
    assert deposit.state == "running" and deposit.step_done("draft created")
    assert len(records_of(image_set)) == 1

    # Redis hands the unacknowledged task to the next worker once it is visible again.
    start_worker("deposit-resumed", queue=first.queue, CELERY_VISIBILITY_TIMEOUT="1", **env)
    deposit = wait_for(deposit, lambda d: d.state in ENDED)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert deposit.files_done == deposit.files_total == total

    found = records_of(image_set)
    assert [record["id"] for record in found] == [deposit.remote_id]  # one record
    record = remote(f"/records/{deposit.remote_id}")
    assert record["is_published"]
    image_set.refresh_from_db()
    assert image_set.state == "published"
    assert image_set.doi == record["pids"]["doi"]["identifier"] == deposit.doi
    check_files(deposit.remote_id, image_set, tmp_path, max_files)


# Run by each of two processes: set Django up, say "ready", wait for the go, publish.
PUBLISHER = """
import os, sys, time
import django
django.setup()
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from curation.services.deposits import publish
image_set = ImageSet.objects.get(pk=int(sys.argv[1]))
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.002)
print(publish(image_set, actor=SYSTEM, target="rdm").pk, flush=True)
"""


def test_two_processes_publishing_at_once_make_one_deposit_and_one_record(
    people, settings, tmp_path
):
    settings.PUBLISH_TARGETS = rdm_target()
    image_set = ready_set(people, images=2)
    go = tmp_path / "go"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "PUBLISH_TARGETS": json.dumps(settings.PUBLISH_TARGETS),
        # Their tasks wait in a queue no worker reads: this test runs the deposit.
        "CELERY_TASK_DEFAULT_QUEUE": f"test-unread-{uuid.uuid4().hex[:8]}",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(image_set.pk), str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready", process.stderr
    go.touch()
    answers = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], answers
    ids = {int(out.strip()) for out, _ in answers}
    assert len(ids) == 1 and image_set.deposits.count() == 1

    deposit = run_deposit(ids.pop())
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert [record["id"] for record in records_of(image_set)] == [deposit.remote_id]
    image_set.refresh_from_db()
    assert image_set.doi == deposit.doi and image_set.state == "published"
    assert publish(image_set, actor=SYSTEM, target="rdm").pk == deposit.pk  # and again: the same
