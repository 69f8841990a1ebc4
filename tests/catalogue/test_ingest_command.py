"""`manage.py ingest`: a summary, a JSON report, and a non-zero exit on rejections."""

import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.models import ImageSet
from tests.catalogue.conftest import real_jpegs

pytestmark = pytest.mark.django_db


def test_new_set_from_metadata_file(tmp_path, storage, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    for path in real_jpegs(4):
        shutil.copy(path, folder / path.name)
    metadata = tmp_path / "set.json"
    metadata.write_text(
        json.dumps(
            {"title": "Ciliates of the Belgian part of the North Sea", "licence": "CC-BY-4.0"}
        )
    )
    call_command("ingest", str(folder), "--new-set", str(metadata), "--json")
    report = json.loads(capsys.readouterr().out)
    image_set = ImageSet.objects.get(pk=report["set"])
    assert image_set.title == "Ciliates of the Belgian part of the North Sea"
    assert (report["added"], report["rejected"]) == (4, [])
    assert image_set.images.count() == 4


def test_rejections_exit_non_zero_with_reasons(tmp_path, storage, capsys):
    shutil.copy(real_jpegs(1)[0], tmp_path / "good.jpg")
    (tmp_path / "evil.jpg").write_bytes(b"<html><script>alert(1)</script></html>")
    image_set = ImageSet.objects.create(title="Target")
    with pytest.raises(SystemExit) as exited:
        call_command("ingest", str(tmp_path), "--set", str(image_set.pk))
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "1 added" in out and "1 rejected" in out
    assert "rejected  evil.jpg: refused: the content is an HTML document" in out


def test_unknown_set_and_bad_metadata_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="no image set with id 999999"):
        call_command("ingest", str(tmp_path), "--set", "999999")
    metadata = tmp_path / "set.json"
    metadata.write_text(json.dumps({"title": "x", "licence": "not-a-licence"}))
    with pytest.raises(CommandError, match="licence"):
        call_command("ingest", str(tmp_path), "--new-set", str(metadata))
