"""Sidecar parsers: EcoTaxa TSV and iFDO, built on the real FlowCam demo file names.

No database, no services: the parsers only turn bytes into records.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars import (
    ECOTAXA_TSV,
    IFDO,
    MAX_IFDO_BYTES,
    ImageMetadata,
    parse_ecotaxa_tsv,
    parse_ifdo,
    parse_sidecar,
    sniff_sidecar,
)
from tests.catalogue.conftest import DEMO_IMAGES

IMAGES = DEMO_IMAGES  # the real FlowCam demo images shipped in the repository


def _flowcam() -> dict[str, list[str]]:
    """Class name -> sorted real image file names (the folder name is the class)."""
    return {
        folder.name: sorted(p.name for p in folder.glob("*.jpg"))
        for folder in sorted(IMAGES.iterdir())
        if folder.is_dir() and any(folder.glob("*.jpg"))
    }


FLOWCAM = _flowcam()
CLASSES = sorted(FLOWCAM)
# (class, file name) of the first image of each class
FIRSTS = [(cls, FLOWCAM[cls][0]) for cls in CLASSES]

FULL_COLUMNS = [
    "img_file_name",
    "img_rank",
    "object_id",
    "object_lat",
    "object_lon",
    "object_date",
    "object_time",
    "object_depth_min",
    "object_depth_max",
    "object_annotation_category",
    "object_annotation_status",
    "object_annotation_person_name",
    "object_annotation_date",
    "object_area",
    "sample_id",
    "sample_ship",
    "acq_id",
    "acq_instrument",
    "process_id",
    "process_pixel",
]
FULL_TYPES = [
    "[t]",
    "[f]",
    "[t]",
    "[f]",
    "[f]",
    "[t]",
    "[t]",
    "[f]",
    "[f]",
    "[t]",
    "[t]",
    "[t]",
    "[t]",
    "[f]",
    "[t]",
    "[t]",
    "[t]",
    "[t]",
    "[t]",
    "[f]",
]


def _full_row(index: int, cls: str, file_name: str) -> list[str]:
    return [
        file_name,
        "0",
        f"obj_{index}",
        f"{51.2 + index / 10}",
        f"{2.9 - index / 10}",
        f"2023061{index}",
        f"10{index}530",
        f"{index}.5",
        f"{index + 2}.5",
        cls,
        "validated",
        "Wout Decrop",
        "20240102",
        f"{100 + index}.25",
        "vlizbelgica_2023_w01",
        "RV Simon Stevin",
        "flowcam_acq_1",
        "FlowCam",
        "proc_1",
        "0.73",
    ]


def _tsv(rows: list[list[str]], *, newline: str = "\n") -> str:
    return newline.join("\t".join(r) for r in rows) + newline


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def _reject(parse, *args, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as info:
        parse(*args, **kwargs)
    return info.value


def _simple_tsv(rows: list[list[str]], *, types: bool = True) -> str:
    """img_file_name, object_lat, object_lon, object_depth_min, object_depth_max, object_area."""
    header = [
        "img_file_name",
        "object_lat",
        "object_lon",
        "object_depth_min",
        "object_depth_max",
        "object_area",
    ]
    type_row = ["[t]", "[f]", "[f]", "[f]", "[f]", "[f]"]
    return _tsv([header, *([type_row] if types else []), *rows])


# --------------------------------------------------------------------- EcoTaxa TSV


def test_full_ecotaxa_tsv_parses_to_exact_values(tmp_path):
    rows = [_full_row(i, cls, fn) for i, (cls, fn) in enumerate(FIRSTS[:3])]
    path = _write(tmp_path, "ecotaxa_flowcam.tsv", _tsv([FULL_COLUMNS, FULL_TYPES, *rows]))

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
    )
    first = sidecar.images[FIRSTS[0][1]]
    assert first.captured_at == datetime(2023, 6, 10, 10, 5, 30, tzinfo=UTC)
    assert first.captured_at.tzinfo is UTC
    assert (first.latitude, first.longitude) == (51.2, 2.9)
    assert first.annotation["category"] == FIRSTS[0][0]


def test_tsv_without_type_row_treats_only_known_columns_as_numbers(tmp_path):
    cls, file_name = FIRSTS[0]
    content = _tsv(
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
    content = _simple_tsv([[file_name, "10", "20", "", "", "NaN"]])
    path = _write(tmp_path, "bom.tsv", b"\xef\xbb\xbf" + content.replace("\n", "\r\n").encode())
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
    sidecar = parse_ecotaxa_tsv(_simple_tsv([[nfd, "", "", "", "", ""]]), name="nfd.tsv")
    assert list(sidecar.images) == ["\u00e9chantillon.jpg"]


def test_bad_float_names_row_and_column():
    names = [fn for _, fn in FIRSTS[:2]]
    content = _simple_tsv([[names[0], "1", "2", "", "", "3"], [names[1], "1", "2", "", "", "12,5"]])
    error = _reject(parse_ecotaxa_tsv, content, name="bad.tsv")
    assert error.name == "bad.tsv"
    assert error.reason == "row 4, column object_area: '12,5' is not a number"


def test_latitude_95_is_rejected():
    content = _simple_tsv([[FIRSTS[0][1], "95", "2", "", "", ""]])
    error = _reject(parse_ecotaxa_tsv, content, name="lat.tsv")
    assert error.reason == "row 3, column object_lat: latitude 95.0 is out of range [-90, 90]"


def test_longitude_out_of_range_is_rejected_without_type_row():
    content = _simple_tsv([[FIRSTS[0][1], "5", "-181", "", "", ""]], types=False)
    error = _reject(parse_ecotaxa_tsv, content, name="lon.tsv")
    assert error.reason == "row 2, column object_lon: longitude -181.0 is out of range [-180, 180]"


def test_depth_min_greater_than_depth_max_is_rejected():
    content = _simple_tsv([[FIRSTS[0][1], "5", "2", "30", "10", ""]])
    error = _reject(parse_ecotaxa_tsv, content, name="depth.tsv")
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
    row = _full_row(0, *FIRSTS[0])
    row[FULL_COLUMNS.index(column)] = value
    error = _reject(parse_ecotaxa_tsv, _tsv([FULL_COLUMNS, FULL_TYPES, row]), name="d.tsv")
    assert error.reason == f"row 3, column {column}: {reason}"


def test_time_with_lost_leading_zero_is_read():
    row = _full_row(0, *FIRSTS[0])
    row[FULL_COLUMNS.index("object_time")] = "93000"
    sidecar = parse_ecotaxa_tsv(_tsv([FULL_COLUMNS, FULL_TYPES, row]), name="t.tsv")
    assert sidecar.images[FIRSTS[0][1]].captured_at == datetime(2023, 6, 10, 9, 30, tzinfo=UTC)


def test_duplicate_rows_keep_first_position_and_collect_annotations():
    _, file_name = FIRSTS[0]
    rows = [_full_row(0, CLASSES[0], file_name), _full_row(1, CLASSES[1], file_name)]
    rows[1][FULL_COLUMNS.index("object_annotation_status")] = "dubious"
    other = _full_row(2, *FIRSTS[2])
    sidecar = parse_ecotaxa_tsv(_tsv([FULL_COLUMNS, FULL_TYPES, *rows, other]), name="dup.tsv")

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
    content = _tsv([["object_id", "object_lat"], ["[t]", "[f]"], ["a", "1"]])
    error = _reject(parse_ecotaxa_tsv, content, name="nofile.tsv")
    assert error.reason == (
        "row 1: no img_file_name column (EcoTaxa TSV names each image file in it)"
    )


def test_non_utf8_bytes_are_rejected_with_the_reason(tmp_path):
    _, file_name = FIRSTS[0]
    content = _tsv(
        [["img_file_name", "sample_station"], ["[t]", "[t]"], [file_name, "Ostende"]]
    ).encode()
    path = _write(tmp_path, "latin1.tsv", content.replace(b"Ostende", "Ostendé".encode("latin-1")))
    error = _reject(parse_sidecar, path.name, path.read_bytes())
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
    content = _simple_tsv([[file_name, repr(lat), repr(lon), "", "", ""]])
    image = parse_ecotaxa_tsv(content.encode(), name="p.tsv").images[file_name]
    assert (image.latitude, image.longitude) == (lat, lon)


# ----------------------------------------------------------------------------- iFDO

SET_UUID = "9d3c4e1a-2b7f-4c8e-9a51-0f6d2e7b8c31"


def _ifdo_doc() -> dict:
    """Header defaults (position, time, depth) and three items that override some."""
    (c0, f0), (c1, f1), (_, f2) = FIRSTS[:3]
    return {
        "image-set-header": {
            "image-set-name": "FlowCam Belgica 2023",
            "image-set-uuid": SET_UUID,
            "image-set-handle": "https://hdl.handle.net/20.500.12345/flowcam",
            "image-set-ifdo-version": "v2.1.0",
            "image-abstract": "FlowCam particles from the Belgian part of the North Sea.",
            "image-license": {
                "name": "CC-BY-4.0",
                "uri": "https://creativecommons.org/licenses/by/4.0/",
            },
            "image-creators": [
                {"name": "Wout Decrop", "uri": "https://orcid.org/0000-0002-1825-0097"},
            ],
            "image-pi": {"name": "Jane Doe", "orcid": "0000-0001-5109-3700"},
            "image-platform": {"name": "RV Simon Stevin"},
            "image-sensor": "FlowCam 8400",
            "image-project": {"name": "LifeWatch Belgium"},
            "image-event": {"name": "SS2023-W01"},
            "image-datetime": "2023-06-01 08:00:00.000000",
            "image-latitude": 51.5,
            "image-longitude": 2.75,
            "image-depth": 3.0,
            "image-acquisition": "slide",
        },
        "image-set-items": {
            f0: {"image-annotations": [{"labels": [{"label": c0}]}]},
            f1: {
                "image-datetime": "2023-06-02T09:30:00+02:00",
                "image-latitude": -12.25,
                "image-longitude": 130.5,
                "image-altitude-meters": -40.0,
                "image-acquisition": "photo",
                "image-annotations": [{"labels": [{"label": c1}]}],
            },
            f2: {"image-depth": 7.5, "image-platform": {"name": "RIB Zeekat"}},
        },
    }


def _check_ifdo(sidecar):
    (c0, f0), (_, f1), (_, f2) = FIRSTS[:3]
    assert sidecar.format == IFDO
    assert sidecar.warnings == []
    fields = sidecar.set_metadata.fields
    assert fields["title"] == "FlowCam Belgica 2023"
    assert fields["uuid"] == SET_UUID
    assert fields["description"].startswith("FlowCam particles")
    assert fields["licence"] == {
        "name": "CC-BY-4.0",
        "uri": "https://creativecommons.org/licenses/by/4.0/",
    }
    assert fields["creators"] == [
        {
            "name": "Wout Decrop",
            "orcid": "0000-0002-1825-0097",
            "uri": "https://orcid.org/0000-0002-1825-0097",
        }
    ]
    assert fields["pi"] == {"name": "Jane Doe", "orcid": "0000-0001-5109-3700", "uri": None}
    assert fields["platform"] == {"name": "RV Simon Stevin", "uri": None}
    assert fields["instrument"] == {"name": "FlowCam 8400", "uri": None}
    assert fields["project"]["name"] == "LifeWatch Belgium"
    assert fields["event"]["name"] == "SS2023-W01"
    assert (fields["latitude"], fields["longitude"], fields["depth_min"]) == (51.5, 2.75, 3.0)
    assert fields["extra"] == {"image-set-ifdo-version": "v2.1.0", "image-acquisition": "slide"}
    assert fields["time_start"] == datetime(2023, 6, 1, 8, tzinfo=UTC)
    assert fields["time_end"] == datetime(2023, 6, 2, 7, 30, tzinfo=UTC)

    defaults_only = sidecar.images[f0]
    assert defaults_only == ImageMetadata(
        file_name=f0,
        captured_at=datetime(2023, 6, 1, 8, tzinfo=UTC),
        latitude=51.5,
        longitude=2.75,
        depth_min=3.0,
        depth_max=3.0,
        fields={"image-acquisition": "slide"},
        annotation=[{"labels": [{"label": c0}]}],
    )
    overridden = sidecar.images[f1]
    assert overridden.captured_at == datetime(2023, 6, 2, 7, 30, tzinfo=UTC)
    assert (overridden.latitude, overridden.longitude) == (-12.25, 130.5)
    assert (overridden.depth_min, overridden.depth_max) == (40.0, 40.0)  # altitude -40 m
    assert overridden.fields == {"image-acquisition": "photo", "image-altitude-meters": -40.0}
    depth_only = sidecar.images[f2]
    assert (depth_only.latitude, depth_only.depth_min, depth_only.annotation) == (51.5, 7.5, None)
    assert depth_only.fields["image-platform"] == {"name": "RIB Zeekat"}


def test_ifdo_yaml_header_defaults_overridden_by_items(tmp_path):
    path = _write(tmp_path, "flowcam_iFDO.yaml", yaml.safe_dump(_ifdo_doc(), sort_keys=False))
    assert sniff_sidecar(path.name, path.read_bytes()[:4096]) == IFDO
    _check_ifdo(parse_sidecar(path.name, path.read_bytes()))


def test_ifdo_json_header_defaults_overridden_by_items(tmp_path):
    path = _write(tmp_path, "flowcam_iFDO.json", json.dumps(_ifdo_doc(), indent=2))
    assert sniff_sidecar(path.name, path.read_bytes()[:4096]) == IFDO
    _check_ifdo(parse_sidecar(path.name, path.read_bytes()))


def test_ifdo_v1_keys_and_unquoted_yaml_timestamps():
    _, file_name = FIRSTS[0]
    text = f"""
image-set-header:
  image-set-name: v1 set
  image-set-uuid: {SET_UUID}
  image-creators:
    - name: Jane Doe
      orcid: 0000-0001-5109-3700
  image-project: LifeWatch
  image-license: CC-BY
  image-coordinate-reference-system: EPSG:32631
image-set-items:
  {file_name}:
    image-datetime: 2023-06-01 08:00:00.250000
    image-altitude: -12.5
"""
    sidecar = parse_ifdo(text, name="v1.yml")
    fields = sidecar.set_metadata.fields
    assert fields["creators"] == [{"name": "Jane Doe", "orcid": "0000-0001-5109-3700", "uri": None}]
    assert fields["project"] == {"name": "LifeWatch", "uri": None}
    image = sidecar.images[file_name]
    assert image.captured_at == datetime(2023, 6, 1, 8, 0, 0, 250000, tzinfo=UTC)
    assert (image.depth_min, image.depth_max) == (12.5, 12.5)
    assert sidecar.warnings == [
        "image-set-header, field image-coordinate-reference-system: 'EPSG:32631' is not "
        "EPSG:4326; latitude and longitude were read as WGS 84 degrees"
    ]


def test_list_valued_item_takes_first_entry_and_keeps_the_rest():
    doc = _ifdo_doc()
    _, video = FIRSTS[3] if len(FIRSTS) > 3 else FIRSTS[0]
    entries = [
        {"image-datetime": "2023-06-03 10:00:00.000000", "image-latitude": 51.1},
        {"image-datetime": "2023-06-03 10:00:05.000000", "image-latitude": 51.2},
        {"image-datetime": "2023-06-03 10:00:10.000000", "image-latitude": 51.3},
    ]
    doc["image-set-items"] = {video: entries}
    image = parse_ifdo(json.dumps(doc), name="video.json").images[video]
    assert image.captured_at == datetime(2023, 6, 3, 10, tzinfo=UTC)
    assert (image.latitude, image.longitude, image.depth_min) == (51.1, 2.75, 3.0)
    assert image.fields["timepoints"] == entries[1:]


def test_list_entry_out_of_range_names_item_entry_and_field():
    doc = _ifdo_doc()
    _, video = FIRSTS[0]
    doc["image-set-items"] = {video: [{"image-latitude": 51.1}, {"image-longitude": 200}]}
    error = _reject(parse_ifdo, json.dumps(doc), name="video.json")
    assert error.reason == (
        f"item {video!r}, entry 2, field image-longitude: longitude 200.0 is out of range "
        "[-180, 180]"
    )


def test_ifdo_bad_type_names_item_and_field():
    doc = _ifdo_doc()
    _, file_name = FIRSTS[0]
    doc["image-set-items"] = {file_name: {"image-latitude": "fifty-one"}}
    error = _reject(parse_ifdo, yaml.safe_dump(doc), name="bad.yaml")
    assert error.reason == (
        f"item {file_name!r}, field image-latitude: expected a number, got str 'fifty-one'"
    )
    doc["image-set-items"] = {file_name: {"image-datetime": "yesterday"}}
    error = _reject(parse_ifdo, yaml.safe_dump(doc), name="bad.yaml")
    assert error.reason.startswith(
        f"item {file_name!r}, field image-datetime: 'yesterday' is not a date and time"
    )


@pytest.mark.parametrize("missing", ["image-set-uuid", "image-set-name"])
def test_missing_required_header_field_is_named(missing):
    doc = _ifdo_doc()
    del doc["image-set-header"][missing]
    error = _reject(parse_ifdo, yaml.safe_dump(doc), name="nouuid.yaml")
    assert error.reason == f"image-set-header: {missing} is missing (iFDO requires it)"


def test_missing_header_and_bad_uuid_are_rejected():
    error = _reject(parse_ifdo, "image-set-items: {}\n", name="x.yaml")
    assert error.reason == "not an iFDO: image-set-header is missing"
    doc = _ifdo_doc()
    doc["image-set-header"]["image-set-uuid"] = "not-a-uuid"
    error = _reject(parse_ifdo, json.dumps(doc), name="x.json")
    assert error.reason == "image-set-header, field image-set-uuid: 'not-a-uuid' is not a UUID"


def test_yaml_alias_bomb_is_rejected_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for anchor in "bcdefghi":
        lines.append(f"{anchor}: &{anchor} [{', '.join(['*' + previous] * 9)}]")
        previous = anchor
    bomb = "image-set-header:\n  image-set-name: lol\n" + "\n".join("  " + line for line in lines)
    started = time.perf_counter()
    error = _reject(parse_ifdo, bomb.encode(), name="bomb.yaml")
    assert time.perf_counter() - started < 1.0
    assert error.reason.startswith("YAML aliases are not accepted")
    assert "an alias can expand a small file into an enormous document" in error.reason


def test_yaml_duplicate_keys_and_oversized_documents_are_rejected():
    error = _reject(parse_ifdo, "image-set-header: {}\nimage-set-header: {}\n", name="d.yaml")
    assert error.reason == "line 2: key 'image-set-header' appears twice in the same mapping"
    error = _reject(parse_ifdo, b" " * (MAX_IFDO_BYTES + 1), name="huge.yaml")
    assert error.reason == "is 50.0 MB; iFDO documents over 50 MB are refused"


# ------------------------------------------------------------------------- sniffing


def test_sniff_recognises_both_formats_and_refuses_a_jpeg(tmp_path):
    tsv = _tsv([FULL_COLUMNS, FULL_TYPES, _full_row(0, *FIRSTS[0])]).encode()
    assert sniff_sidecar("ecotaxa_export.tsv", tsv) == ECOTAXA_TSV
    assert sniff_sidecar("upload.txt", b"\xef\xbb\xbf" + tsv[:200]) == ECOTAXA_TSV
    assert sniff_sidecar("set.yaml", yaml.safe_dump(_ifdo_doc()).encode()[:512]) == IFDO
    assert sniff_sidecar("set.json", json.dumps(_ifdo_doc()).encode()[:512]) == IFDO
    cls, file_name = FIRSTS[0]
    jpeg = IMAGES / cls / file_name
    head = jpeg.read_bytes()[:4096] if jpeg.is_file() else b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
    assert sniff_sidecar(file_name, head) is None
    assert sniff_sidecar("notes.txt", b"just some notes\n") is None
    error = _reject(parse_sidecar, file_name, head)
    assert error.reason.startswith("not a recognised sidecar")
