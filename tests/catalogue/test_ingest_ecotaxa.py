"""Ingest of real EcoTaxa folders (tests/catalogue/ecotaxa_samples/README.md): every
problem of a sidecar reported at once in the report, the command and the API answer;
a refused sidecar imports none of the images it describes; empty TSVs are problems."""

import io
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image, ImageSet
from tests.catalogue.conftest import real_jpegs, stored_keys

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "ecotaxa_samples"
BAD_TSV = "issues/ecotaxa_m106_mn01_n3_sml.tsv"
HELD_BACK = (
    "not imported: its sidecar issues/ecotaxa_m106_mn01_n3_sml.tsv was refused (see its problems)"
)


def two_samples(tmp_path) -> Path:
    """A ZooScan export folder (good) and EcoTaxa's folder of problems, side by side."""
    folder = tmp_path / "export"
    shutil.copytree(SAMPLES / "zooscan_export", folder / "zooscan")
    shutil.copytree(SAMPLES / "tsv_issues", folder / "issues")
    return folder


def new_set() -> ImageSet:
    return services.create_image_set(title="M106 zooplankton", actor=SYSTEM)


def keys_of_rows(image_set) -> set[str]:
    keys: set[str] = set()
    for image in image_set.images.all():
        keys |= {image.storage_key, image.thumbnail_small, image.thumbnail_medium}
    return keys


def test_a_refused_sidecar_imports_none_of_its_images_and_the_others_go_in(storage, tmp_path):
    image_set = new_set()
    earlier = services.ingest(image_set, [real_jpegs(1)[0]], actor=SYSTEM)
    assert earlier.added == 1

    batch = services.ingest(image_set, [two_samples(tmp_path)], actor=SYSTEM)

    rejected = {entry["name"]: entry for entry in batch.rejected}
    sidecar = rejected.pop(BAD_TSV)
    assert len(sidecar["problems"]) == 12
    assert sidecar["problems"][7] == {
        "file": BAD_TSV,
        "line": 3,
        "column": "object_time",
        "value": "9920",
        "reason": "is not a valid time (expected HHMMSS)",
    }
    assert sidecar["reason"].startswith("12 problems: line 1, column nounderscorecol: ")
    # The images it describes are left out; the corrupt one is refused on its own.
    assert rejected["issues/m106_mn01_n3_sml_too_big.png"]["reason"] == HELD_BACK
    assert rejected["issues/m106_mn01_n3_sml_1.jpg"]["reason"] == HELD_BACK
    assert rejected["issues/m106_mn01_n3_sml_corrupted_image.jpg"]["reason"].startswith("refused")
    assert len(rejected) == 3
    # Files it does not describe go in: _2.jpg (same bytes as the left-out _1.jpg) and _1081.
    names = set(image_set.images.values_list("file_name", flat=True))
    assert names == {
        real_jpegs(1)[0].name,
        *(f"zooscan/m106_mn01_n1_sml_{n}.jpg" for n in (409, 821, 822, 850, 851)),
        "issues/m106_mn01_n3_sml_2.jpg",
        "issues/m106_mn01_n3_sml_1081.jpg",
    }
    assert batch.added == 7 and batch.duplicates == [] and batch.updated == []
    # The good sidecar is applied: time 042000, position, depth, hierarchy, labels.
    image = image_set.images.get(file_name="zooscan/m106_mn01_n1_sml_821.jpg")
    assert image.captured_at == datetime(2014, 4, 20, 4, 20, tzinfo=UTC)
    assert (image.latitude, image.longitude, image.depth) == (18.0, -24.4166666666667, 800.0)
    assert image.fields["sample_id"] == "m106_mn01_n1_sml"
    assert image.fields["acq_id"] == "generic_m106_mn01_n1_sml"
    assert image.annotations.get().label.name == "Oncaeidae"
    # Not imported means nothing stored: every stored file belongs to a row.
    assert stored_keys() == keys_of_rows(image_set)


def test_images_without_their_metadata_when_asked(storage, tmp_path):
    image_set = new_set()
    batch = services.ingest(image_set, [two_samples(tmp_path)], actor=SYSTEM, without_metadata=True)
    rejected = sorted(entry["name"] for entry in batch.rejected)
    assert rejected == [BAD_TSV, "issues/m106_mn01_n3_sml_corrupted_image.jpg"]
    too_big = image_set.images.get(file_name="issues/m106_mn01_n3_sml_too_big.png")
    assert too_big.fields == {} and too_big.latitude is None
    assert f"{BAD_TSV}: refused; 2 image(s) it describes imported" in " ".join(batch.warnings)
    assert batch.added == 8  # _2.jpg has the bytes of _1.jpg: a duplicate
    assert [d["name"] for d in batch.duplicates] == ["issues/m106_mn01_n3_sml_2.jpg"]
    assert stored_keys() == keys_of_rows(image_set)


def test_the_command_prints_every_problem_and_exits_1(storage, tmp_path, capsys):
    image_set = ImageSet.objects.create(title="Target")
    with pytest.raises(SystemExit) as exited:
        call_command("ingest", str(two_samples(tmp_path)), "--set", str(image_set.pk))
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert f"rejected  {BAD_TSV}: 12 problem(s)" in out
    assert "    line 3, column object_lat: '100' is out of range [-90, 90]" in out
    assert "    line 5, column object_annotation_time: '5:31' is not a valid time" in out
    assert "    line 8, column object_id: the object has no id" in out
    assert f"rejected  issues/m106_mn01_n3_sml_1.jpg: {HELD_BACK}" in out


@pytest.mark.parametrize("content", [b"", b"img_file_name\tobject_id\n[t]\t[t]\n"])
def test_an_empty_tsv_is_refused_and_exits_1(storage, tmp_path, capsys, content):
    shutil.copy(real_jpegs(1)[0], tmp_path / "a.jpg")
    (tmp_path / "ecotaxa_empty.tsv").write_bytes(content)
    image_set = ImageSet.objects.create(title="Target")
    with pytest.raises(SystemExit) as exited:
        call_command("ingest", str(tmp_path), "--set", str(image_set.pk), "--json")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert '"name": "ecotaxa_empty.tsv"' in out
    reason = "the file is empty (0 bytes)" if not content else "no data rows"
    assert reason in out
    assert image_set.images.count() == 1  # it describes no image: a.jpg goes in


def test_the_api_answer_lists_every_problem(storage, django_user_model):
    owner = django_user_model.objects.create_user("curator", password="x")
    image_set = services.create_image_set(title="M106", owner=owner, actor=SYSTEM)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((SAMPLES / "tsv_issues").iterdir()):
            archive.write(path, f"sample/{path.name}")
    client = APIClient()
    client.force_authenticate(owner)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "m106.zip"
    answer = client.post(
        reverse("api:image-set-upload", args=[image_set.pk]),
        {"files": [upload]},
        format="multipart",
    )
    assert answer.status_code == 207, answer.content
    body = answer.json()
    [sidecar] = [r for r in body["rejected"] if r["name"] == "sample/ecotaxa_m106_mn01_n3_sml.tsv"]
    assert [(p["line"], p["column"]) for p in sidecar["problems"]][3:6] == [
        (3, "object_buggy_float"),
        (3, "object_lat"),
        (3, "object_lon"),
    ]
    assert sidecar["more"] == 0
    assert (
        Image.objects.filter(image_set=image_set, file_name__endswith="_too_big.png").count() == 0
    )


def test_a_uvp6_export_goes_in_with_its_tsv_and_no_rejection(storage):
    """The UVP6 export of tests/catalogue/samples16 (a `<sample>_Images.zip` inside the
    exported zip, its TSV naming `sub1/...` from its own folder)."""
    export = Path(__file__).parent / "samples16" / "uvp6_export.zip"
    image_set = new_set()
    batch = services.ingest(image_set, [export], actor=SYSTEM)
    assert (batch.added, batch.rejected) == (5, [])
    assert batch.warnings == [
        "flowcam_demo_Images/compute_vignette.txt: UVP6 vignette settings, not imported"
    ]
    for image in image_set.images.all():
        assert image.file_name.startswith(
            ("flowcam_demo_Images/sub1/", "flowcam_demo_Images/sub2/")
        )
        assert image.fields["sample_id"] == "flowcam_demo"
        assert image.latitude is not None and image.captured_at is not None
        assert image.annotations.count() == 1


def test_the_upload_page_lists_every_problem_of_a_bad_tsv(django_user_model):
    owner = django_user_model.objects.create_user("curator", password="x")
    image_set = services.create_image_set(title="M106", owner=owner, actor=SYSTEM)
    files = [
        SimpleUploadedFile(path.name, path.read_bytes())
        for path in sorted((SAMPLES / "tsv_issues").iterdir())
    ]
    client = Client()
    client.force_login(owner)
    response = client.post(f"/curate/sets/{image_set.uuid}/upload", {"files": files})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'Problems in <span class="file">ecotaxa_m106_mn01_n3_sml.tsv</span>' in text
    assert text.count("<tr><td>3</td>") == 6  # line 3 has six problems
    assert '<td>object_annotation_time</td><td class="value">5:31</td>' in text
    assert "12 problems: nothing of this file, nor of the images it describes" in text
    assert not image_set.images.filter(file_name="m106_mn01_n3_sml_too_big.png").exists()
    # Asked for: the images come in without the sidecar's metadata.
    files = [
        SimpleUploadedFile(f.name, (SAMPLES / "tsv_issues" / f.name).read_bytes()) for f in files
    ]
    client.post(f"/curate/sets/{image_set.uuid}/upload", {"files": files, "without_metadata": "on"})
    assert image_set.images.filter(file_name="m106_mn01_n3_sml_too_big.png").exists()
