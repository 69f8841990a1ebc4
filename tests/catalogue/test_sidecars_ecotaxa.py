"""EcoTaxa TSV sidecars (catalogue/ingest/sidecars/ecotaxa.py), on the real FlowCam
demo file names. No database: the parser only turns bytes into records."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.ingest.sidecars import (
    ECOTAXA_TSV,
    AnnotationRecord,
    ImageMetadata,
    SidecarProblem,
    SidecarRefused,
    parse_ecotaxa_tsv,
    parse_sidecar,
)
from catalogue.ingest.sidecars.records import shown_value
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
                where="line 4",
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
    # A category nobody vouched for (no status) is a prediction.
    assert image.annotation == {"category": cls, "status": "predicted"}


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
    assert error.reason == "1 problem: line 4, column object_area: '12,5' is not a number"
    assert error.problems == [
        SidecarProblem("bad.tsv", 4, "object_area", "12,5", "is not a number")
    ]
    assert error.names == set(names)  # the images it describes, which are left out


def test_latitude_95_is_rejected():
    content = simple_tsv([[FIRSTS[0][1], "95", "2", "", "", ""]])
    error = reject(parse_ecotaxa_tsv, content, name="lat.tsv")
    assert error.reason == "1 problem: line 3, column object_lat: '95' is out of range [-90, 90]"


def test_longitude_out_of_range_is_rejected_without_type_row():
    content = simple_tsv([[FIRSTS[0][1], "5", "-181", "", "", ""]], types=False)
    error = reject(parse_ecotaxa_tsv, content, name="lon.tsv")
    assert error.reason == (
        "1 problem: line 2, column object_lon: '-181' is out of range [-180, 180]"
    )


def test_depth_min_greater_than_depth_max_is_rejected():
    content = simple_tsv([[FIRSTS[0][1], "5", "2", "30", "10", ""]])
    error = reject(parse_ecotaxa_tsv, content, name="depth.tsv")
    assert error.problems == [
        SidecarProblem(
            "depth.tsv", 3, "object_depth_min", "30", "is greater than object_depth_max 10"
        )
    ]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("object_date", "20230230", "is not a valid date (expected YYYYMMDD)"),
        ("object_date", "2023-06-31", "is not a valid date (expected YYYYMMDD)"),
        ("object_time", "256000", "is not a valid time (expected HHMMSS)"),
        ("object_time", "5:31", "is not a valid time (expected HHMMSS)"),
        (
            "object_annotation_status",
            "maybe",
            "is not an annotation status (predicted, validated, dubious, discarded, or noid)",
        ),
    ],
)
def test_invalid_dates_times_and_statuses_are_rejected(column, value, reason):
    row = full_row(0, *FIRSTS[0])
    row[FULL_COLUMNS.index(column)] = value
    error = reject(parse_ecotaxa_tsv, tsv_text([FULL_COLUMNS, FULL_TYPES, row]), name="d.tsv")
    assert error.problems == [SidecarProblem("d.tsv", 3, column, value, reason)]


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
    assert sidecar.warnings[0].startswith(f"line 4, img_file_name: {file_name!r} already on line 3")


def test_missing_img_file_name_column_is_rejected():
    content = tsv_text([["object_id", "object_lat"], ["[t]", "[f]"], ["a", "1"]])
    error = reject(parse_ecotaxa_tsv, content, name="nofile.tsv")
    assert error.reason == (
        "1 problem: no img_file_name column (EcoTaxa names each image file in it)"
    )
    assert error.names is None  # it cannot say which images it describes


def test_latin1_text_is_read_as_ecotaxa_reads_it_with_a_warning(tmp_path):
    """Older instrument software writes Windows-1252 (UVP6's `43°0 0`); EcoTaxa reads
    such files as Latin-1, so they are read, with a warning naming the first byte."""
    _, file_name = FIRSTS[0]
    content = tsv_text(
        [
            ["img_file_name", "object_lat", "sample_id", "sample_station"],
            ["[t]", "[t]", "[t]", "[t]"],
            [file_name, "43°30 0", "s1", "Ostendé"],
        ]
    ).encode("latin-1")
    path = write(tmp_path, "latin1.tsv", content)
    sidecar = parse_sidecar(path.name, path.read_bytes())
    image = sidecar.images[file_name]
    assert image.latitude == 43.5
    assert image.fields["sample_station"] == "Ostendé"
    assert sidecar.warnings == [
        "not UTF-8 (byte 0xb0 on line 3); read as Windows-1252, as EcoTaxa reads such "
        "files: check accented names"
    ]


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


# --- real EcoTaxa files (tests/catalogue/ecotaxa_samples/README.md) -------------------

SAMPLES = Path(__file__).parent / "ecotaxa_samples"


def read_sample(relative: str):
    path = SAMPLES / relative
    return parse_sidecar(path.name, path.read_bytes())


def test_ecotaxas_own_file_of_problems_is_refused_with_every_problem_at_once():
    """The TSV EcoTaxa's tests import to list its problems: the same problems, each with
    its line, column and value, in one refusal (the missing and corrupt images are
    found when the files are stored)."""
    path = SAMPLES / "tsv_issues" / "ecotaxa_m106_mn01_n3_sml.tsv"
    with pytest.raises(SidecarRefused) as refused:
        parse_sidecar(path.name, path.read_bytes())
    error = refused.value
    assert error.name == path.name
    assert [(p.line, p.column, p.value, p.reason) for p in error.problems] == [
        (1, "nounderscorecol", "", "is not a column name (expected table_field)"),
        (
            1,
            "unknown_target",
            "",
            "has an unknown table prefix (expected object, sample, acq, process, img)",
        ),
        (2, "object_wrongtype", "[H]", "is not a type ([t] for text, [f] for numbers)"),
        (3, "object_buggy_float", "a", "is not a number"),
        (3, "object_lat", "100", "is out of range [-90, 90]"),
        (3, "object_lon", "200", "is out of range [-180, 180]"),
        (3, "object_date", "20140433", "is not a valid date (expected YYYYMMDD)"),
        (3, "object_time", "9920", "is not a valid time (expected HHMMSS)"),
        (
            3,
            "object_annotation_status",
            "predit",
            "is not an annotation status (predicted, validated, dubious, discarded, or noid)",
        ),
        (5, "object_annotation_date", "2015-11-31", "is not a valid date (expected YYYYMMDD)"),
        (5, "object_annotation_time", "5:31", "is not a valid time (expected HHMMSS)"),
        (8, "object_id", "", "the object has no id"),
    ]
    assert error.reason.startswith("12 problems: line 1, column nounderscorecol: ")
    # The images it lists, readable or not, are left out of an ingest.
    assert error.names == {
        "m106_mn01_n3_sml_1.jpg",
        "m106_mn01_n3_sml_too_big.png",
        "m106_mn01_n3_sml_1081.jpg2",
        "m106_mn01_n3_sml_corrupted_image.jpg",
        "nada.png",
    }
    assert error.report_entry()["problems"][3] == {
        "file": path.name,
        "line": 3,
        "column": "object_buggy_float",
        "value": "a",
        "reason": "is not a number",
    }


def test_zooscan_import_tsv_keeps_unpadded_times_and_the_hierarchy():
    sidecar = read_sample("zooscan_import/ecotaxa_m106_mn01_n1_sml.tsv")
    image = sidecar.images["m106_mn01_n1_sml_409.jpg"]
    # `420` is HHMMSS without its leading zeros: 00:04:20 (EcoTaxa's importer pads it
    # as HHMM, 04:20:00; its documented format, and what an unpadded export means, is HHMMSS).
    assert image.captured_at == datetime(2014, 4, 20, 0, 4, 20, tzinfo=UTC)
    assert (image.latitude, image.longitude) == (-44.72543333333333, 145.5351)
    assert (image.depth_min, image.depth_max) == (600.0, 1000.0)
    fields = image.fields
    assert (fields["object_id"], fields["img_rank"]) == ("m106_mn01_n1_sml_409", 0)
    assert fields["object_area"] == 516.0
    assert (fields["sample_id"], fields["sample_ship"], fields["sample_volconc"]) == (
        "m106_mn01_n1_sml",
        "meteor",
        "13.125",  # typed [t] in this file
    )
    assert fields["sample_dataportal_descriptor"] is None  # an empty cell
    assert fields["acq_id"] == "generic_m106_mn01_n1_sml"
    assert fields["acq_instrument"] == "epson"  # the ZooScan scanner
    assert fields["process_id"] == "zooprocess_m106_mn01_n1_sml"
    assert image.annotation == {
        "category": "t001",
        "person": "Admin4test",
        "email": "me@home.fr",
        "date": date(2015, 11, 11),
        "time": time(15, 31),
        "status": "predicted",
    }
    assert image.annotations == [
        AnnotationRecord(
            label="t001",
            where="line 3",
            status="predicted",
            annotator="Admin4test",
            created_at=datetime(2015, 11, 11, 15, 31, tzinfo=UTC),
        )
    ]
    # One vignette on the rows of several objects: every object is kept.
    shared = sidecar.images["m106_mn01_n1_sml_850.jpg"].fields["objects"]
    assert len(shared) == 4
    assert len(sidecar.images) == 5


def test_zooscan_export_as_ecotaxa_writes_it():
    """An EcoTaxa export: quoted cells, img_rank, the category's EcoTaxa id, 042000."""
    sidecar = read_sample("zooscan_export/ecotaxa_m106_mn01_n1_sml.tsv")
    image = sidecar.images["m106_mn01_n1_sml_821.jpg"]
    assert image.captured_at == datetime(2014, 4, 20, 4, 20, tzinfo=UTC)
    assert (image.latitude, image.longitude) == (18.0, -24.4166666666667)
    assert image.fields["img_rank"] == 0
    assert image.fields["sample_id"] == "m106_mn01_n1_sml"
    assert image.annotation == {
        "category": "Oncaeidae",
        "category_id": 78418,
        "status": "predicted",
    }
    assert [a.label for a in image.annotations] == ["Oncaeidae"]


def test_uvp6_tsv_in_latin1_with_degrees_and_minutes():
    sidecar = read_sample("uvp6/ecotaxa_b_da_19.tsv")
    assert sidecar.warnings[0].startswith("not UTF-8 (byte 0xb0 on line 3); read as Windows-1252")
    image = sidecar.images["sub1/20200205-111823_3.png"]
    assert (image.latitude, image.longitude) == (43.0, 17.0)  # written 43°0 0, 17°0 0
    assert image.captured_at == datetime(2020, 2, 5, 11, 18, 23, tzinfo=UTC)
    assert (image.depth_min, image.depth_max) == (194.63, 194.63)
    assert image.fields["img_rank"] == 1
    assert image.fields["object_id"] == "20200205-111823_3"
    assert image.fields["sample_id"] == "b_da_19"
    assert image.fields["acq_instrument"] == "uvp6"
    assert len(sidecar.images) == 15


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("420", time(0, 4, 20)),  # HHMMSS with its leading zeros lost
        ("5", time(0, 0, 5)),
        ("93000", time(9, 30)),  # HHMMSS with its leading zero lost
        ("111823", time(11, 18, 23)),
        ("020139.315", time(2, 1, 39, 315000)),  # UVP: a fraction of a second
        ("20139.5", time(2, 1, 39, 500000)),
        ("12:30:05", time(12, 30, 5)),
        ("12:30:05.25", time(12, 30, 5, 250000)),
    ],
)
def test_times_as_ecotaxa_and_instruments_write_them(written, read):
    row = full_row(0, *FIRSTS[0])
    row[FULL_COLUMNS.index("object_time")] = written
    sidecar = parse_ecotaxa_tsv(tsv_text([FULL_COLUMNS, FULL_TYPES, row]), name="t.tsv")
    assert sidecar.images[FIRSTS[0][1]].captured_at == datetime.combine(
        date(2023, 6, 10), read, tzinfo=UTC
    )


def test_several_images_of_one_object_get_their_ranks():
    names = [fn for _, fn in FIRSTS[:4]]
    header = ["img_file_name", "img_rank", "object_id", "object_annotation_category"]
    header += ["object_annotation_status"]
    rows = [
        [names[0], "0", "obj_a", "Copepoda", "V"],
        [names[1], "1", "obj_a", "Copepoda", "V"],
        [names[2], "1", "obj_a", "Copepoda", "V"],  # rank taken: the next one
        [names[3], "", "obj_b", "Copepoda", "d"],
    ]
    sidecar = parse_ecotaxa_tsv(tsv_text([header, *rows]), name="ranks.tsv")
    ranks = [
        (sidecar.images[n].fields["object_id"], sidecar.images[n].fields["img_rank"]) for n in names
    ]
    assert ranks == [("obj_a", 0), ("obj_a", 1), ("obj_a", 2), ("obj_b", 0)]
    # Every image of the object carries its label; EcoTaxa's letters are statuses.
    assert [sidecar.images[n].annotations[0].status for n in names] == [
        "validated",
        "validated",
        "validated",
        "dubious",
    ]
    assert sidecar.warnings == [
        "line 4, img_rank: rank 1 of object 'obj_a' is taken; 2 used instead"
    ]


def test_a_dozen_kinds_of_problem_in_one_hand_made_file():
    names = [fn for _, fn in FIRSTS[:6]]
    header = [
        "img_file_name",
        "object_id",
        "object_lat",
        "object_lon",
        "object_date",
        "object_time",
        "object_depth_min",
        "object_depth_max",
        "object_annotation_category",
        "object_annotation_status",
        "img_rank",
        "sample_id",
        "acq_id",
    ]
    types = ["[t]", "[t]", "[f]", "[f]", "[t]", "[t]", "[f]", "[f]", "[t]", "[t]", "[f]"]
    types += ["[t]", "[t]"]
    rows = [
        [names[0], "o1", "51.2", "2.9", "20230610", "101530", "1", "2", "A", "V", "0", "s1", "a1"],
        [names[1], "o2", "51,2", "2.9", "20230610", "101530", "1", "2", "A", "V", "0", "s1", "a1"],
        [names[2], "o3", "51.2", "2.9", "20231310", "241530", "5", "2", "A", "V", "0", "s1", "a1"],
        [names[3], "", "51.2", "2.9", "20230610", "101530", "1", "2", "", "V", "-1", "s2", "a1"],
        ["", "o5", "51.2", "2.9", "20230610", "101530", "1", "2", "A", "ok", "0", "s1", "a1"],
        [names[0], "o1", "51.2", "2.9", "20230610", "101530", "1", "2", "A", "V", "0", "s1", "a1"],
        [
            names[5],
            "o6",
            "51.2",
            "2.9",
            "20230610",
            "101530",
            "1",
            "2",
            "A",
            "V",
            "0.5",
            "s1",
            "a1",
            "extra",
        ],
    ]
    with pytest.raises(SidecarRefused) as refused:
        parse_ecotaxa_tsv(tsv_text([header, types, *rows]), name="many.tsv")
    assert [(p.line, p.column, p.value, p.reason) for p in refused.value.problems] == [
        (4, "object_lat", "51,2", "is not a number"),
        (5, "object_date", "20231310", "is not a valid date (expected YYYYMMDD)"),
        (5, "object_time", "241530", "is not a valid time (expected HHMMSS)"),
        (5, "object_depth_min", "5", "is greater than object_depth_max 2"),
        (6, "img_rank", "-1", "is not a whole number"),
        (6, "object_id", "", "the object has no id"),
        (
            6,
            "object_annotation_status",
            "V",
            "an annotation status needs a category (object_annotation_category)",
        ),
        (6, "sample_id", "s2", "acquisition 'a1' is already in sample 's1' (line 3)"),
        (7, "img_file_name", "", "the image file name is empty"),
        (
            7,
            "object_annotation_status",
            "ok",
            "is not an annotation status (predicted, validated, dubious, discarded, or noid)",
        ),
        (
            8,
            "img_file_name",
            shown_value(names[0]),
            "object 'o1' with this image is already on line 3",
        ),
        (9, "", "extra", "value(s) in a column with no header"),
        (9, "img_rank", "0.5", "is not a whole number"),
    ]
    assert refused.value.names == set(names) - {names[4]}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "the file is empty: an EcoTaxa TSV needs a header row and one row per image"),
        ("img_file_name\tobject_id\n", "no data rows: the file describes no images"),
        ("img_file_name\tobject_id\n[t]\t[t]\n", "no data rows: the file describes no images"),
    ],
)
def test_an_empty_tsv_is_a_problem(content, reason):
    with pytest.raises(SidecarRefused) as refused:
        parse_ecotaxa_tsv(content, name="empty.tsv")
    assert [p.reason for p in refused.value.problems] == [reason]
    assert refused.value.names == set()  # it describes no image: none is left out
