"""Sidecar sniffing and the one parse entry point (catalogue/ingest/sidecars/__init__.py,
sniffing.py): which format a file is, and a refusal for what is none."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.ingest.sidecars import (
    BIIGLE_METADATA_CSV,
    COCO,
    ECOTAXA_TSV,
    IFDO,
    SidecarRefused,
    parse_biigle_metadata_csv,
    parse_coco,
    parse_sidecar,
    sniff_sidecar,
)
from tests.catalogue.conftest import real_jpegs
from tests.catalogue.ingest_samples import (
    FIRSTS,
    FULL_COLUMNS,
    FULL_TYPES,
    IMAGES,
    full_row,
    ifdo_doc,
    reject,
    tsv_text,
)


def test_sniff_recognises_both_formats_and_refuses_a_jpeg(tmp_path):
    tsv = tsv_text([FULL_COLUMNS, FULL_TYPES, full_row(0, *FIRSTS[0])]).encode()
    assert sniff_sidecar("ecotaxa_export.tsv", tsv) == ECOTAXA_TSV
    assert sniff_sidecar("upload.txt", b"\xef\xbb\xbf" + tsv[:200]) == ECOTAXA_TSV
    assert sniff_sidecar("set.yaml", yaml.safe_dump(ifdo_doc()).encode()[:512]) == IFDO
    assert sniff_sidecar("set.json", json.dumps(ifdo_doc()).encode()[:512]) == IFDO
    cls, file_name = FIRSTS[0]
    jpeg = IMAGES / cls / file_name
    head = jpeg.read_bytes()[:4096] if jpeg.is_file() else b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
    assert sniff_sidecar(file_name, head) is None
    assert sniff_sidecar("notes.txt", b"just some notes\n") is None
    error = reject(parse_sidecar, file_name, head)
    assert error.reason.startswith("not a recognised sidecar")


# --- BIIGLE image metadata CSV (samples16/biigle: BIIGLE's own test files) -------------------

SAMPLES16 = Path(__file__).parent / "samples16"


def problem_rows(error) -> list[tuple[int | None, str, str, str]]:
    assert isinstance(error, SidecarRefused)
    return [(p.line, p.column, p.value, p.reason) for p in error.problems]


@pytest.mark.parametrize(
    "sample", ["image-metadata.csv", "image-metadata-with-bom.csv", "image-metadata-synonyms3.csv"]
)
def test_biigle_metadata_csv_is_read_with_bom_and_synonyms(sample):
    data = (SAMPLES16 / "biigle" / sample).read_bytes()

    assert sniff_sidecar(sample, data) == BIIGLE_METADATA_CSV
    sidecar = parse_sidecar(sample, data)

    assert sidecar.format == BIIGLE_METADATA_CSV
    assert sidecar.warnings == []
    image = sidecar.images["abc.jpg"]
    assert image.captured_at == datetime(2016, 12, 19, 12, 27, tzinfo=UTC)
    assert (image.latitude, image.longitude) == (28.123, 52.22)
    assert (image.depth_min, image.depth_max) == (1500, 1500)  # gps_altitude -1500
    assert image.fields == {
        "gps_altitude": -1500,
        "distance_to_ground": 10,
        "area": 2.6,
        "yaw": 180,
    }


def test_biigle_metadata_csv_column_synonyms_file_longitude_latitude():
    data = (SAMPLES16 / "biigle" / "image-metadata-synonyms2.csv").read_bytes()

    image = parse_sidecar("synonyms.csv", data).images["abc.jpg"]

    assert (image.latitude, image.longitude) == (28.123, 52.22)


def test_biigle_metadata_csv_in_windows_1252_is_read_with_a_warning():
    # BIIGLE refuses this file; its first byte is a no-break space (0xa0), and its file
    # name ends in a space, as spreadsheets write them.
    data = (SAMPLES16 / "biigle" / "image-metadata-strange-encoding.csv").read_bytes()

    sidecar = parse_sidecar("metadata.csv", data)

    image = sidecar.images["my-image"]
    assert image.captured_at == datetime(2023, 3, 26, 12, 40, 47, tzinfo=UTC)
    assert image.depth_min == 10
    assert sidecar.warnings == [
        "not UTF-8 (byte 0xa0 on line 1); read as Windows-1252, as EcoTaxa reads such "
        "files: check accented names"
    ]


def test_biigle_metadata_csv_with_a_bad_yaw_is_refused_as_biigle_refuses_it():
    data = (SAMPLES16 / "biigle" / "image-metadata-invalid.csv").read_bytes()

    error = reject(parse_sidecar, "metadata.csv", data)

    assert problem_rows(error) == [(2, "yaw", "999", "is no valid yaw ([0, 360] degrees)")]
    assert error.names == {"abc.jpg"}


def test_biigle_metadata_csv_reports_every_problem_at_once():
    text = (
        "filename,taken_at,lat,lng,yaw,area\n"
        "a.jpg,2016-12-19 12:27:00,95,10,,\n"
        "b.jpg,yesterday,10,,400,big\n"
        ",2016-12-19 12:27:00,1,2,,\n"
        "a.jpg,,1,2,,\n"
        '"c.jpg","2016-12-19",-1.5,"-181",0,2\n'
    )

    error = reject(parse_sidecar, "metadata.csv", text.encode())

    assert problem_rows(error) == [
        (2, "lat", "95", "is no valid latitude ([-90, 90])"),
        (3, "area", "big", "is not a number"),
        (3, "lng", "", "is missing: lat and lng go together"),
        (3, "yaw", "400", "is no valid yaw ([0, 360] degrees)"),
        (3, "taken_at", "yesterday", "is no valid date (expected YYYY-MM-DD HH:MM:SS)"),
        (4, "filename", "", "the image file name is empty"),
        (5, "filename", "a.jpg", "the image is described again (first on line 2)"),
        (6, "lng", "-181", "is no valid longitude ([-180, 180])"),
    ]
    assert error.names == {"a.jpg", "b.jpg", "c.jpg"}


def test_biigle_metadata_csv_needs_a_filename_column():
    error = reject(parse_biigle_metadata_csv, "lat,lng\n1,2\n", name="m.csv")

    assert problem_rows(error) == [(1, "", "", "no filename (or file) column: BIIGLE requires it")]


def test_a_csv_without_biigle_columns_is_no_sidecar():
    assert sniff_sidecar("table.csv", b"filename,colour\na.jpg,red\n") is None
    assert sniff_sidecar("table.txt", b"filename,lat,lng\na.jpg,1,2\n") is None


# --- COCO as FathomNet exports it (samples16/coco) -------------------------------------------


def test_fathomnet_coco_dataset_is_read():
    data = (SAMPLES16 / "coco" / "fathomnet_dataset.json").read_bytes()

    assert sniff_sidecar("dataset.json", data) == COCO
    sidecar = parse_sidecar("dataset.json", data)

    first = sidecar.images["9f4e6b2c-0d3a-4f57-9a1e-5b6c8d7e2f10.png"]
    second = sidecar.images["3c1d8a77-6e42-4b0f-8d2a-9e0f1b2c3d4e.png"]
    assert first.captured_at == datetime(2008, 3, 25, 17, 2, 11, tzinfo=UTC)
    assert second.captured_at is None
    assert [(r.label, r.shape, r.coordinates) for r in first.annotations] == [
        ("Bathochordaeus", "box", [812.0, 402.0, 1058.0, 598.63]),
        ("Nanomia", "box", [101.0, 77.0, 159.0, 135.0]),
    ]
    assert [r.status for r in first.annotations + second.annotations] == ["validated"] * 3
    assert sidecar.warnings == []


def test_coco_reports_every_problem_with_its_json_path():
    doc = json.loads((SAMPLES16 / "coco" / "fathomnet_dataset.json").read_text())
    doc["images"][1]["date_captured"] = "last spring"
    doc["images"].append({"id": 1, "file_name": "x.png"})
    doc["categories"].append({"id": 3, "name": ""})
    doc["annotations"][0]["bbox"] = [1, 2, 3]
    doc["annotations"][2]["category_id"] = 7

    error = reject(parse_coco, json.dumps(doc), name="dataset.json")

    assert problem_rows(error) == [
        (None, "images[2].id", "1", "is not a unique id"),
        (None, "categories[2].name", "", "expected the category's name"),
        (None, "annotations[0].bbox", "[1, 2, 3]", "expected [x, y, width, height] in pixels"),
        (None, "annotations[2].category_id", "7", "names no category"),
    ]


def test_coco_date_captured_that_cannot_be_read_is_left_out_with_a_warning():
    doc = json.loads((SAMPLES16 / "coco" / "fathomnet_dataset.json").read_text())
    doc["images"][1]["date_captured"] = "last spring"

    sidecar = parse_coco(json.dumps(doc), name="dataset.json")

    assert sidecar.warnings == [
        "images[1].date_captured: 'last spring' is not a date and time; left out"
    ]


def test_coco_that_is_not_json_names_the_line():
    error = reject(parse_coco, '{"images": [\n  {"id": 1,}\n]}', name="bad.json")

    [(line, _, _, reason)] = problem_rows(error)
    assert line == 2
    assert reason.startswith("not valid JSON: Expecting property name")


# --- BIIGLE annotation report: every problem with its line and column ------------------------

BIIGLE_REPORT_HEADER = (
    "image_annotation_label_id,label_id,label_name,label_hierarchy,user_id,firstname,"
    "lastname,image_id,filename,image_longitude,image_latitude,shape_id,shape_name,points,"
    "attributes,annotation_id,created_at"
)


def test_biigle_report_names_every_problem_by_line_and_column():
    rows = [
        '1,7,Porifera,Biota,3,Jane,Doe,11,a.jpg,,,5,Hexagon,"[1,2]",{},21,',
        '2,7,,Biota,3,Jane,Doe,11,a.jpg,,,1,Point,"[1,2]",{},22,',
        '3,7,Porifera,Biota,3,Jane,Doe,11,b.jpg,,,1,Point,"[1,2,",{},23,',
        '4,7,Porifera,Biota,3,Jane,Doe,11,,,,1,Point,"[1,2]",{},24,',
        '5,7,Porifera,Biota,3,Jane,Doe,11,c.jpg,,,1,Point,"[1,2]",{},25,"June"',
    ]
    text = "\n".join([BIIGLE_REPORT_HEADER, *rows]) + "\n"

    error = reject(parse_sidecar, "report.csv", text.encode())

    assert problem_rows(error) == [
        (
            2,
            "shape_name",
            "Hexagon",
            "is not one of Point, LineString, Polygon, Circle, Rectangle, Ellipse, WholeFrame",
        ),
        (3, "label_name", "", "expected 1 to 300 characters"),
        (4, "points", "[1,2,", "expected [x1, y1, x2, y2, ...] in pixels"),
        (5, "filename", "", "the image file name is empty"),
        (6, "created_at", "June", "is not a date"),
    ]
    assert error.names == {"a.jpg", "b.jpg", "c.jpg"}


# --- ingested: a BIIGLE metadata CSV places the images ---------------------------------------


@pytest.mark.django_db
def test_biigle_metadata_csv_places_ingested_images(tmp_path):
    folder = tmp_path / "volume"
    folder.mkdir()
    paths = real_jpegs(2)
    for path in paths:
        shutil.copy(path, folder / path.name)
    (folder / "metadata.csv").write_bytes(
        "File,SUB_datetime,Latitude,Longitude,SUB_altitude,SUB_distance,area,heading\n"
        f"{paths[0].name},2016-12-19 12:27:00,28.123,52.220,-1500,10,2.6,180\n"
        f"{paths[1].name},,,,-1502.5,,,\n".encode("utf-8-sig")
    )
    image_set = services.create_image_set(title="BIIGLE volume", actor=SYSTEM)

    batch = services.ingest(image_set, [folder], actor=SYSTEM)

    assert batch.added == 2
    first, second = (image_set.images.get(file_name=path.name) for path in paths)
    assert (first.latitude, first.longitude, first.depth) == (28.123, 52.22, 1500)
    assert first.captured_at == datetime(2016, 12, 19, 12, 27, tzinfo=UTC)
    assert first.fields["yaw"] == 180 and first.fields["distance_to_ground"] == 10
    assert (second.latitude, second.depth) == (None, 1502.5)
