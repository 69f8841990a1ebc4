"""`manage.py harvest add|list|run|remove`, and the scheduled task."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from catalogue.harvest.tasks import harvest_due_sources
from catalogue.models import HarvestRun, HarvestSource, ImageSet
from tests.harvest.conftest import zenodo_records

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]


def command(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("harvest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_add_list_run_remove(zenodo):
    zenodo_records(zenodo, 3)
    added, _ = command("add", "zenodo", "--oai", zenodo.url, "--set", "user-plankton")
    assert json.loads(added)["set"] == "user-plankton"

    out, _ = command("run", "zenodo")
    report = json.loads(out)
    assert report["status"] == "done" and report["new"] == 3 and report["errors"] == []

    listing = json.loads(command("list")[0])
    assert listing[0]["name"] == "zenodo" and listing[0]["external_sets"] == 3
    assert listing[0]["last_run"]["new"] == 3

    removed = json.loads(command("remove", "zenodo")[0])
    assert removed == {"removed": "zenodo", "external_sets": 3}
    assert not ImageSet.objects.exists()


def test_bad_input_is_refused_with_every_reason(zenodo):
    with pytest.raises(CommandError, match="name") as refused:
        command("add", "Not A Name", "--oai", "not a url")
    assert "base_url" in str(refused.value)
    with pytest.raises(CommandError, match="interval"):
        command("add", "zenodo", "--oai", zenodo.url, "--interval", "often")
    with pytest.raises(CommandError, match="no harvest source named 'nowhere'"):
        command("run", "nowhere")
    assert not HarvestSource.objects.exists()


def test_a_failed_run_prints_its_report_and_fails(zenodo):
    command("add", "zenodo", "--oai", zenodo.url)
    zenodo.stop()
    out = io.StringIO()
    with pytest.raises(CommandError, match="harvest of zenodo failed"):
        call_command("harvest", "run", "zenodo", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["status"] == "failed"


def test_the_task_harvests_the_sources_whose_interval_has_passed(zenodo):
    zenodo_records(zenodo, 2)
    command("add", "due", "--oai", zenodo.url, "--interval", "6h")
    command("add", "paused", "--oai", zenodo.url)
    HarvestSource.objects.filter(name="paused").update(enabled=False)

    assert [report["source"] for report in harvest_due_sources()] == ["due"]
    assert harvest_due_sources() == []  # six hours have not passed
    HarvestRun.objects.update(started=F("started") - timedelta(hours=6))
    again = harvest_due_sources()
    assert [(r["source"], r["new"]) for r in again] == [("due", 0)]


def test_an_invenio_source_is_added_with_its_community_and_query():
    added, _ = command(
        "add",
        "rdm",
        "--invenio",
        "https://data.example.org",
        "--community",
        "plankton",
        "--query",
        "subjects.subject:zooplankton",
    )
    described = json.loads(added)
    assert (described["kind"], described["community"]) == ("invenio", "plankton")
    assert described["query"] == "subjects.subject:zooplankton"
    aquacat, _ = command("add", "other", "--aquacat", "https://aquacat.example.org")
    assert json.loads(aquacat)["kind"] == "aquacat"
    report = json.loads(command_failing("run", "other"))
    assert report["status"] == "failed"  # no such host: the source is down
    assert "aquacat.example.org" in report["errors"][0]["reason"]


def command_failing(*args) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("harvest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()
