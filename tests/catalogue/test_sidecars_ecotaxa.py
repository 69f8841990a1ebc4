"""EcoTaxa TSV sidecars (catalogue/ingest/sidecars/ecotaxa.py), on the real FlowCam
demo file names. No database: the parser only turns bytes into records."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.ingest.sidecars import (
    ECOTAXA_TSV,
    AnnotationRecord,
    ImageMetadata,
    parse_ecotaxa_tsv,
    parse_sidecar,
)
from tests.catalogue.ingest_samples import (
    CLASSES,
    FIRSTS,
    FULL_COLUMNS,
    FULL_TYPES,
    full_row,
    reject,
    simple_tsv,
    tsv_text,
    write,
)


def test_full_ecotaxa_tsv_parses_to_exact_values(tmp_path):
    rows = [full_row(i, cls, fn) for i, (cls, fn) in enumerate(FIRSTS[:3])]
    path = write(tmp_path, "ecotaxa_flowcam.tsv", tsv_text([FULL_COLUMNS, FULL_TYPES, *rows]))

    sidecar = parse_sidecar(path.name, path.read_bytes())

    assert sidecar.format == ECOTAXA_TSV
    assert sidecar.warnings == []
    assert sidecar.set_metadata.fields == {}
    assert list(sidecar.images) == [fn for _, fn in FIRSTS[:3]]
    cls, file_name = FIRSTS[1]
    assert sidecar.images[file_name] == ImageMetadata(
        file_name=file_name,
        captured_at=datetime(2023, 6, 11, 10, 15, 30, tzinfo=UTC),
        latitude=51.300000000000004,  # 51.2 + 1 / 10, as written by f"{...}"
        longitude=2.8,
        depth_min=1.5,
        depth_max=3.5,
        fields={
            "img_rank": 0.0,
            "object_id": "obj_1",
            "object_area": 101.25,
            "sample_id": "vlizbelgica_2023_w01",
            "sample_ship": "RV Simon Stevin",
            "acq_id": "flowcam_acq_1",
            "acq_instrument": "FlowCam",
            "process_id": "proc_1",
            "process_pixel": 0.73,
        },
        annotation={
            "category": cls,
            "status": "validated",
            "person": "Wout Decrop",
            "date": date(2024, 1, 2),
        },
        annotations=[
            AnnotationRecord(
                label=cls,
                where="row 4",
                status="validated",
                annotator="Wout Decrop",
                created_at=datetime(2024, 1, 2, tzinfo=UTC),
            )
        ],
    )
    first = sidecar.images[FIRSTS[0][1]]
    assert first.captured_at == datetime(2023, 6, 10, 10, 5, 30, tzinfo=UTC)
    assert first.captured_at.tzinfo is UTC
    assert (first.latitude, first.longitude) == (51.2, 2.9)
    assert first.annotation["category"] == FIRSTS[0][0]


def test_tsv_without_type_row_treats_only_known_columns_as_numbers(tmp_path):
    cls, file_name = FIRSTS[0]
    content = tsv_text(
        [
            [
                "img_file_name",
                "object_lat",
                "object_lon",
                "object_area",
                "object_annotation_category",
            ],
            [file_name, "51.5", "-3.25", "12.5", cls],
        ]
    )
    sidecar = parse_ecotaxa_tsv(content, name="no_types.tsv")
    image = sidecar.images[file_name]
    assert (image.latitude, image.longitude) == (51.5, -3.25)
    assert image.fields == {"object_area": "12.5"}
    assert image.annotation == {"category": cls, "status": None}


def test_bom_and_crlf_are_accepted(tmp_path):
    _, file_name = FIRSTS[0]
    content = simple_tsv([[file_name, "10", "20", "", "", "NaN"]])
    path = write(tmp_path, "bom.tsv", b"\xef\xbb\xbf" + content.replace("\n", "\r\n").encode())
    sidecar = parse_sidecar(path.name, path.read_bytes())
    image = sidecar.images[file_name]
    assert (image.latitude, image.longitude, image.depth_min, image.depth_max) == (
        10.0,
        20.0,
        None,
        None,
    )
    assert image.fields == {"object_area": None}


def test_nfc_normalises_file_names():
    nfd = "e\u0301chantillon.jpg"
    sidecar = parse_ecotaxa_tsv(simple_tsv([[nfd, "", "", "", "", ""]]), name="nfd.tsv")
    assert list(sidecar.images) == ["\u00e9chantillon.jpg"]


def test_bad_float_names_row_and_column():
    names = [fn for _, fn in FIRSTS[:2]]
    content = simple_tsv([[names[0], "1", "2", "", "", "3"], [names[1], "1", "2", "", "", "12,5"]])
    error = reject(parse_ecotaxa_tsv, content, name="bad.tsv")
    assert error.name == "bad.tsv"
    assert error.reason == "row 4, column object_area: '12,5' is not a number"


def test_latitude_95_is_rejected():
    content = simple_tsv([[FIRSTS[0][1], "95", "2", "", "", ""]])
    error = reject(parse_ecotaxa_tsv, content, name="lat.tsv")
    assert error.reason == "row 3, column object_lat: latitude 95.0 is out of range [-90, 90]"


def test_longitude_out_of_range_is_rejected_without_type_row():
    content = simple_tsv([[FIRSTS[0][1], "5", "-181", "", "", ""]], types=False)
    error = reject(parse_ecotaxa_tsv, content, name="lon.tsv")
    assert error.reason == "row 2, column object_lon: longitude -181.0 is out of range [-180, 180]"


def test_depth_min_greater_than_depth_max_is_rejected():
    content = simple_tsv([[FIRSTS[0][1], "5", "2", "30", "10", ""]])
    error = reject(parse_ecotaxa_tsv, content, name="depth.tsv")
    assert error.reason == (
        "row 3, column object_depth_min: 30.0 is greater than object_depth_max 10.0"
    )


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("object_date", "20230230", "'20230230' is not a valid date (expected YYYYMMDD)"),
        ("object_date", "2023-06-01", "'2023-06-01' is not a valid date (expected YYYYMMDD)"),
        ("object_time", "256000", "'256000' is not a valid time (expected HHMMSS)"),
        (
            "object_annotation_status",
            "maybe",
            "status 'maybe' is not one of predicted, validated, dubious",
        ),
    ],
)
def test_invalid_dates_times_and_statuses_are_rejected(column, value, reason):
    row = full_row(0, *FIRSTS[0])
    row[FULL_COLUMNS.index(column)] = value
    error = reject(parse_ecotaxa_tsv, tsv_text([FULL_COLUMNS, FULL_TYPES, row]), name="d.tsv")
    assert error.reason == f"row 3, column {column}: {reason}"


def test_time_with_lost_leading_zero_is_read():
    row = full_row(0, *FIRSTS[0])
    row[FULL_COLUMNS.index("object_time")] = "93000"
    sidecar = parse_ecotaxa_tsv(tsv_text([FULL_COLUMNS, FULL_TYPES, row]), name="t.tsv")
    assert sidecar.images[FIRSTS[0][1]].captured_at == datetime(2023, 6, 10, 9, 30, tzinfo=UTC)


def test_duplicate_rows_keep_first_position_and_collect_annotations():
    _, file_name = FIRSTS[0]
    rows = [full_row(0, CLASSES[0], file_name), full_row(1, CLASSES[1], file_name)]
    rows[1][FULL_COLUMNS.index("object_annotation_status")] = "dubious"
    other = full_row(2, *FIRSTS[2])
    sidecar = parse_ecotaxa_tsv(tsv_text([FULL_COLUMNS, FULL_TYPES, *rows, other]), name="dup.tsv")

    assert list(sidecar.images) == [file_name, FIRSTS[2][1]]
    image = sidecar.images[file_name]
    assert (image.latitude, image.longitude) == (51.2, 2.9)
    assert image.captured_at == datetime(2023, 6, 10, 10, 5, 30, tzinfo=UTC)
    assert image.annotation["category"] == CLASSES[0]
    objects = image.fields["objects"]
    assert [(o["row"], o["object_id"]) for o in objects] == [(3, "obj_0"), (4, "obj_1")]
    assert [o["annotation"]["category"] for o in objects] == CLASSES[:2]
    assert objects[1]["annotation"]["status"] == "dubious"
    assert "objects" not in sidecar.images[FIRSTS[2][1]].fields
    assert len(sidecar.warnings) == 1
    assert sidecar.warnings[0].startswith(f"row 4, img_file_name: {file_name!r} already on row 3")


def test_missing_img_file_name_column_is_rejected():
    content = tsv_text([["object_id", "object_lat"], ["[t]", "[f]"], ["a", "1"]])
    error = reject(parse_ecotaxa_tsv, content, name="nofile.tsv")
    assert error.reason == (
        "row 1: no img_file_name column (EcoTaxa TSV names each image file in it)"
    )


def test_non_utf8_bytes_are_rejected_with_the_reason(tmp_path):
    _, file_name = FIRSTS[0]
    content = tsv_text(
        [["img_file_name", "sample_station"], ["[t]", "[t]"], [file_name, "Ostende"]]
    ).encode()
    path = write(tmp_path, "latin1.tsv", content.replace(b"Ostende", "Ostendé".encode("latin-1")))
    error = reject(parse_sidecar, path.name, path.read_bytes())
    assert error.reason == (
        "not UTF-8 text: byte 0xe9 on line 3 is invalid (re-save the file as UTF-8)"
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lat=st.floats(min_value=-90, max_value=90, allow_nan=False),
    lon=st.floats(min_value=-180, max_value=180, allow_nan=False),
)
def test_any_valid_position_round_trips(lat, lon):
    _, file_name = FIRSTS[0]
    content = simple_tsv([[file_name, repr(lat), repr(lon), "", "", ""]])
    image = parse_ecotaxa_tsv(content.encode(), name="p.tsv").images[file_name]
    assert (image.latitude, image.longitude) == (lat, lon)
