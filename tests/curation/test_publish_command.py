"""`manage.py publish SET [--target NAME] [--follow] [--json]`: the deposit printed,
followed until it ends, a refused deposit's messages per field (exit 1) and the
checklist's problems all at once (exit 2). The worker is stood in for by calling
run_deposit: before the command, or while the command waits between polls."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue import services
from catalogue.access import IMMUTABLE, SYSTEM
from curation.management.commands import publish as publish_command
from curation.models import Deposit
from curation.services.deposits import publish, run_deposit
from tests.curation.conftest import ready_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_between_polls(monkeypatch):
    """While --follow waits, the "worker" runs every deposit still to run; counts
    the polls it waited for."""
    waits: list[int] = []

    def wait(self):
        waits.append(1)
        for pk in Deposit.objects.exclude(state__in=["published", "failed"]).values_list(
            "pk", flat=True
        ):
            run_deposit(pk)

    monkeypatch.setattr(publish_command.Command, "wait", wait)
    return waits


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("publish", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_publish_by_id_queues_the_deposit_and_prints_it():
    image_set = ready_set()
    out, _ = run(image_set.pk)
    deposit = Deposit.objects.get(image_set=image_set)
    assert out.startswith(f"deposit {deposit.pk} of set {image_set.pk} to no repository: queued")
    assert deposit.created_by is None  # the system
    image_set.refresh_from_db()
    assert image_set.state == "publishing"
    # Again: the same deposit.
    assert run(image_set.pk)[0].startswith(f"deposit {deposit.pk} ")
    assert Deposit.objects.count() == 1


def test_publish_by_uuid_as_json():
    image_set = ready_set()
    out, _ = run(image_set.uuid, "--json")
    body = json.loads(out)
    assert body["image_set"] == image_set.pk and body["state"] == "queued"
    assert body["target"] is None and body["files"] == {"done": 0, "total": 0}
    assert body["id"] == Deposit.objects.get(image_set=image_set).pk


def test_follow_finds_a_deposit_the_worker_has_finished(monkeypatch):
    image_set = ready_set()
    deposit = publish(image_set, actor=SYSTEM)
    run_deposit(deposit.pk)
    monkeypatch.setattr(publish_command.Command, "wait", lambda self: pytest.fail("waited"))
    out, _ = run(image_set.pk, "--follow", "--json")
    body = json.loads(out)
    assert body["id"] == deposit.pk and body["state"] == "published"
    assert body["steps"][-1]["step"] == "published"


def test_follow_polls_until_published(targets, worker_between_polls):
    targets(uploading="minting")
    image_set = ready_set(images=3)
    out, _ = run(image_set.pk, "--target", "uploading", "--follow")
    assert worker_between_polls == [1]  # one wait: queued, then published
    deposit = Deposit.objects.get(image_set=image_set)
    assert deposit.state == "published" and deposit.files_done == deposit.files_total == 3
    lines = out.splitlines()
    assert (
        lines[0]
        == f"deposit {deposit.pk} of set {image_set.pk} to uploading: published, 3/3 file(s)"
    )
    assert any(line.endswith("files uploaded (3 file(s))") for line in lines)
    assert "  DOI 10.5072/aquacat.2 (all versions: 10.5072/aquacat.1)" in lines
    assert "  record https://repository.example/records/abc12" in lines
    image_set.refresh_from_db()
    assert image_set.state == "published" and image_set.doi == "10.5072/aquacat.2"


def test_a_refused_deposit_exits_1_with_its_errors_per_field(targets, worker_between_polls):
    targets(refusing="refusing")
    image_set = ready_set()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(
            "publish", str(image_set.pk), "--target=refusing", "--follow", stdout=out, stderr=err
        )
    assert raised.value.returncode == 1
    assert "The repository refused the record (400)." in str(raised.value)
    assert ": failed, " in out.getvalue()
    assert err.getvalue().splitlines() == [
        "  metadata.creators: Missing affiliation.",
        "  metadata.title: Too short.",
        "  metadata.title: Not in English.",
    ]
    image_set.refresh_from_db()
    assert image_set.state == "draft"


def test_the_checklist_problems_all_at_once_exit_2():
    image_set = ready_set(images=0, creators=[])
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("publish", str(image_set.pk), "--json", stdout=out, stderr=err)
    assert raised.value.returncode == 2
    problems = json.loads(out.getvalue())["errors"]
    assert {"creators", "images"} <= set(problems)
    printed = err.getvalue()
    for field in ("creators", "images"):
        assert f"  {field}: " in printed
    image_set.refresh_from_db()
    assert image_set.state == "draft" and not Deposit.objects.exists()


def test_an_unknown_target_exits_2_naming_target(targets):
    targets(uploading="minting", refusing="refusing")
    image_set = ready_set()
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("publish", str(image_set.pk), "--target", "zenodo", stderr=err)
    assert raised.value.returncode == 2
    assert "  target: no publishing target 'zenodo'" in err.getvalue()
    assert not Deposit.objects.exists()


def test_a_published_set_without_a_deposit_and_unknown_sets_exit_1():
    image_set = services.publish_image_set(ready_set(images=1), actor=SYSTEM)
    with pytest.raises(CommandError) as raised:
        run(image_set.pk)
    assert raised.value.returncode == 1 and IMMUTABLE in str(raised.value)
    for key in ("987654", "6f1c3e0a-0000-4000-8000-000000000000", "not-a-set"):
        with pytest.raises(CommandError) as raised:
            run(key)
        assert raised.value.returncode == 1
