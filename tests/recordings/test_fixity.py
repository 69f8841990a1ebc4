"""A recording's file is on the fixity rota as images' originals are: checked against
the sha256 it came in with, a changed or missing file found and shown with its set,
its row dropped once no recording holds the file."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.fixity.selectors import fixity_summary
from catalogue.fixity.services import run_rota
from catalogue.models import FileCheck
from tests.recordings.support import WAV, copy, new_set

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]


def replace(key: str, data: bytes) -> None:
    default_storage.delete(key)
    default_storage.save(key, ContentFile(data))


def test_a_recording_file_is_checked_against_its_sha256(storage, tmp_path):
    image_set = new_set()
    services.ingest(image_set, [copy(WAV, tmp_path / "in")], actor=SYSTEM)
    recording = image_set.recordings.get()
    # The recording, 3 spectrograms and their 6 thumbnails.
    first = run_rota(limit=100)
    assert (first["enrolled"], first["checked"]) == (10, 10)
    assert first["results"] == {"ok": 4, "baseline": 6}
    row = FileCheck.objects.get(storage_key=recording.storage_key)
    assert (row.kind, row.expected_sha256, row.result) == ("original", recording.sha256, "ok")

    data = WAV.read_bytes()
    replace(recording.storage_key, data[:-3] + b"\x00\x00\x01")  # one sample changed
    assert run_rota(limit=100)["results"] == {"ok": 9, "mismatch": 1}
    summary = fixity_summary()
    shown = {entry["key"]: entry for entry in summary["problem_files"]}
    assert shown[recording.storage_key]["result"] == "mismatch"
    assert shown[recording.storage_key]["image_sets"] == [str(image_set.uuid)]

    default_storage.delete(recording.storage_key)
    run_rota(limit=100)
    assert FileCheck.objects.get(storage_key=recording.storage_key).result == "missing"
    replace(recording.storage_key, data)  # restored from a backup
    run_rota(limit=100)
    assert FileCheck.objects.get(storage_key=recording.storage_key).result == "ok"

    recording.delete()  # its images go with it (the files are left to the set's deletion)
    report = run_rota(limit=100)
    assert report["dropped"] == 10 and report["files"] == 0
