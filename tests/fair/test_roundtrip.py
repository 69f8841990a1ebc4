"""EcoTaxa TSV and iFDO exports round-trip: ingest real images with a sidecar, export,
re-ingest the same files with the exported sidecar into a new set, compare."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats import ecotaxa, ifdo
from catalogue.ingest.sidecars import parse_ecotaxa_tsv, parse_ifdo
from curation.models import Annotation
from tests.catalogue.conftest import local_storages, real_jpegs

pytestmark = pytest.mark.django_db

TRICKY = "line one\tcolumn two\nline two"
ORCID = "0000-0002-1825-0097"


@pytest.fixture
def storage(tmp_path):
    with override_settings(STORAGES=local_storages(tmp_path / "media")):
        yield


def sample_paths():
    """Four real JPEGs from two classes, so names carry a folder."""
    return real_jpegs(2, "Actinoptychus") + real_jpegs(2, "Ciliophora")


def image_folder(root, paths):
    for path in paths:
        target = root / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return root


def tsv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, dialect="excel-tab").writerows(rows)
    return out.getvalue()


def metadata(image_set) -> dict:
    return {
        i.file_name: (i.captured_at, i.latitude, i.longitude, i.depth, i.fields)
        for i in image_set.images.all()
    }


def ingest(image_set, folder):
    """Fill a draft, then publish it (a published set takes no more files)."""
    batch = services.ingest(image_set, [folder], workers=1, actor=SYSTEM)
    assert batch.rejected == [] and not any("no image named" in w for w in batch.warnings)
    services.publish_image_set(image_set, actor=SYSTEM)
    return batch


def test_ecotaxa_tsv_round_trip(storage, tmp_path, client, make_set):
    paths = sample_paths()
    columns = [
        "img_file_name",
        "object_id",
        "object_lat",
        "object_lon",
        "object_depth_min",
        "object_depth_max",
        "object_date",
        "object_time",
        "object_annotation_category",
        "object_annotation_status",
        "object_annotation_person_name",
        "object_annotation_date",
        "object_area",
        "sample_station",
        "sample_volume",
        "acq_id",
        "acq_resolution",
        "process_id",
        "sample_comment",
    ]
    types = ["[t]", "[t]", "[f]", "[f]", "[f]", "[f]", "[t]", "[t]", "[t]", "[t]", "[t]", "[t]"]
    types += ["[f]", "[t]", "[f]", "[t]", "[f]", "[t]", "[t]"]
    rows = [columns, types]
    values = [
        (51.5, 2.8, 5, 10, "20230415", "101500", "validated", "Doe, Jane", "20230501", TRICKY),
        (51.61, 3.125, 20, 20, "20230416", "000001", "predicted", "", "", "plain"),
        (-33.9, 18.4, 0, 2.5, "20221231", "235959", "dubious", "Roe, R", "20230102", ""),
    ]
    for index, (path, v) in enumerate(zip(paths, values, strict=False)):
        rows.append([path.name, f"obj-{index}", *map(str, v[:6]), path.parent.name, *v[6:9]])
        rows[-1] += [str(1.5 + index), f"W0{index}", "0.25", f"acq{index}", "10", "p1", v[9]]
    # The fourth image: no position, depth nor time, no annotation.
    rows.append([paths[3].name, "obj-3", "", "", "", "", "", "", "", "", "", ""])
    rows[-1] += ["", "W03", "", "acq3", "", "", ""]
    first = image_folder(tmp_path / "first", paths)
    (first / "ecotaxa.tsv").write_text(tsv(rows))
    original = make_set(state="draft")
    ingest(original, first)
    before = metadata(original)
    no_position = f"{paths[3].parent.name}/{paths[3].name}"
    assert before[no_position][1:4] == (None, None, None)
    ranged = before[f"{paths[0].parent.name}/{paths[0].name}"]
    assert ranged[3] == 7.5 and ranged[4]["sample_comment"] == TRICKY

    response = client.get(f"/sets/{original.uuid}/metadata.ecotaxa.tsv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    exported = response.content.decode()
    assert exported == ecotaxa.to_tsv(original)
    lines = exported.splitlines()
    assert lines[0].split("\t")[:3] == ["img_file_name", "object_id", "object_lat"]
    assert set(lines[1].split("\t")) == {"[t]", "[f]"}

    parsed = parse_ecotaxa_tsv(exported, name="metadata.ecotaxa.tsv")
    assert len(parsed.images) == 4 and parsed.warnings == []
    empty = parsed.images[no_position]
    assert (empty.latitude, empty.longitude, empty.depth_min, empty.depth_max) == (None,) * 4
    assert empty.captured_at is None and empty.annotation is None
    first_name = f"{paths[0].parent.name}/{paths[0].name}"
    assert parsed.images[first_name].fields["sample_comment"] == TRICKY

    second = image_folder(tmp_path / "second", paths)
    (second / "exported.tsv").write_text(exported)
    copy = make_set(state="draft")
    ingest(copy, second)
    assert metadata(copy) == before
    image = copy.images.get(file_name=f"{paths[0].parent.name}/{paths[0].name}")
    assert image.captured_at == datetime(2023, 4, 15, 10, 15, tzinfo=UTC)
    assert image.fields["annotation"] == {
        "category": "Actinoptychus",
        "status": "validated",
        "person": "Doe, Jane",
        "date": "2023-05-01",
    }
    assert image.fields["acq_resolution"] == 10.0 and image.fields["sample_station"] == "W00"


def test_ifdo_round_trip(storage, tmp_path, client, make_set):
    paths = sample_paths()
    annotations = [
        {
            "shape": "whole-image",
            "coordinates": [],
            "labels": [{"label": "Actinoptychus", "annotator": "Doe, Jane"}],
        }
    ]
    items = {
        paths[0].name: {
            "image-datetime": "2022-08-01 12:00:00.250000",
            "image-latitude": 54.25,
            "image-longitude": 7.5,
            "image-depth": 100.5,
            "image-annotations": annotations,
            "image-area-square-meter": 0.25,
            "station": TRICKY,
        },
        paths[1].name: {"image-latitude": -1.0, "image-longitude": -2.0, "image-depth": 3},
        paths[2].name: {"image-datetime": "2022-08-02T01:02:03Z", "tags": ["a", "b"]},
        paths[3].name: {},
    }
    doc = {
        "image-set-header": {
            "image-set-name": "Dive 42",
            "image-set-uuid": "7b0c2a35-6c0d-4d8e-9a43-1f9e0d7c0e11",
        },
        "image-set-items": items,
    }
    first = image_folder(tmp_path / "first", paths)
    (first / "dive_ifdo.json").write_text(json.dumps(doc))
    original = make_set(
        state="draft",
        title="ROV dive 42",
        description="Transect\twith a tab\nand a newline",
        creators=[{"name": "Mortelmans, Jonas", "orcid": ORCID}, {"name": "VLIZ"}],
        licence="CC0-1.0",
        platform="ROV Genesis",
        instrument="FlowCam",
    )
    ingest(original, first)
    before = metadata(original)
    assert before[f"{paths[0].parent.name}/{paths[0].name}"][4]["annotation"] == annotations

    response = client.get(f"/sets/{original.uuid}/metadata.ifdo.yaml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    exported = response.content.decode()
    parsed = parse_ifdo(exported, name="metadata.ifdo.yaml")
    json_text = client.get(f"/sets/{original.uuid}/metadata.ifdo.json").content
    as_json = parse_ifdo(json_text, name="metadata.ifdo.json")
    assert parsed.images == as_json.images
    assert parsed.set_metadata.fields == as_json.set_metadata.fields
    header = parsed.set_metadata.fields
    assert header["title"] == "ROV dive 42"
    assert header["uuid"] == str(original.uuid)
    assert header["description"] == "Transect\twith a tab\nand a newline"
    assert header["licence"]["name"] == "CC0-1.0"
    assert [(c["name"], c["orcid"]) for c in header["creators"]] == [
        ("Mortelmans, Jonas", ORCID),
        ("VLIZ", None),
    ]
    assert header["platform"]["name"] == "ROV Genesis"
    assert header["instrument"]["name"] == "FlowCam"
    assert header["extra"] == {"image-set-ifdo-version": ifdo.IFDO_VERSION}
    empty = parsed.images[f"{paths[3].parent.name}/{paths[3].name}"]
    assert (empty.latitude, empty.longitude, empty.depth_min, empty.captured_at) == (None,) * 4

    second = image_folder(tmp_path / "second", paths)
    (second / "export_ifdo.yaml").write_text(exported)
    copy = make_set(state="draft", title="Copy", creators=[], platform="", instrument="")
    ingest(copy, second)
    assert metadata(copy) == before
    copy.refresh_from_db()
    assert copy.description == original.description
    assert copy.creators == [{"name": "Mortelmans, Jonas", "orcid": ORCID}, {"name": "VLIZ"}]
    assert (copy.platform, copy.instrument) == ("ROV Genesis", "FlowCam")


def test_depth_range_survives_ifdo(storage, tmp_path, make_set):
    """A depth range from EcoTaxa is kept as free fields in iFDO and comes back whole."""
    path = real_jpegs(1)[0]
    first = image_folder(tmp_path / "first", [path])
    rows = [
        ["img_file_name", "object_depth_min", "object_depth_max", "object_annotation_category"],
        [path.name, "5", "15", "Diatom"],
    ]
    (first / "ecotaxa.tsv").write_text(tsv(rows))
    original = make_set(state="draft")
    ingest(original, first)
    second = image_folder(tmp_path / "second", [path])
    (second / "export_ifdo.yaml").write_text(ifdo.to_yaml(original))
    copy = make_set(state="draft")
    ingest(copy, second)
    assert without_annotation(metadata(copy)) == without_annotation(metadata(original))
    assert copy.images.get().fields["depth_max"] == 15.0
    # The EcoTaxa category comes back as an iFDO annotation of the same label.
    assert labelled(copy) == labelled(original)


def without_annotation(found: dict) -> dict:
    """Image metadata less the sidecar annotation (EcoTaxa's form is no iFDO form)."""
    return {
        name: (*values[:4], {k: v for k, v in values[4].items() if k != "annotation"})
        for name, values in found.items()
    }


def labelled(image_set) -> list[tuple[str, str, str]]:
    return sorted(
        Annotation.objects.filter(image__image_set=image_set).values_list(
            "image__file_name", "label__name", "shape"
        )
    )


@pytest.mark.parametrize("fmt", ["ecotaxa.tsv", "ifdo.yaml", "ifdo.json"])
def test_hidden_sets_are_404(client, make_set, fmt):
    hidden = make_set(access="restricted")
    assert client.get(f"/sets/{hidden.uuid}/metadata.{fmt}").status_code == 404
    shown = make_set()
    assert client.get(f"/sets/{shown.uuid}/metadata.{fmt}").status_code == 200
