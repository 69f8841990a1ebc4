"""iFDO sidecars in YAML and JSON (catalogue/ingest/sidecars/ifdo.py and its safe
loader, ifdo_loading.py). No database: the parser only turns bytes into records."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
import yaml

from catalogue.ingest.sidecars import (
    IFDO,
    MAX_IFDO_BYTES,
    AnnotationRecord,
    ImageMetadata,
    SidecarRefused,
    parse_ifdo,
    parse_sidecar,
    sniff_sidecar,
)
from tests.catalogue.ingest_samples import FIRSTS, SET_UUID, ifdo_doc, reject, write


def problem_rows(error) -> list[tuple[int | None, str, str]]:
    """A refusal's problems as (line, column, reason): every one, in order."""
    assert isinstance(error, SidecarRefused)
    return [(p.line, p.column, p.reason) for p in error.problems]


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
        annotations=[
            AnnotationRecord(label=c0, where=f"item {f0!r}, image-annotations[1], labels[1]")
        ],
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
    path = write(tmp_path, "flowcam_iFDO.yaml", yaml.safe_dump(ifdo_doc(), sort_keys=False))
    assert sniff_sidecar(path.name, path.read_bytes()[:4096]) == IFDO
    _check_ifdo(parse_sidecar(path.name, path.read_bytes()))


def test_ifdo_json_header_defaults_overridden_by_items(tmp_path):
    path = write(tmp_path, "flowcam_iFDO.json", json.dumps(ifdo_doc(), indent=2))
    assert sniff_sidecar(path.name, path.read_bytes()[:4096]) == IFDO
    _check_ifdo(parse_sidecar(path.name, path.read_bytes()))


def test_platform_and_sensor_uris_are_read_as_nvs_terms_or_left_with_a_warning():
    """v2 names equipment by {name, uri}: an NVS term the set's field takes is kept
    (canonical); another uri (an institute's equipment handle, a term of the wrong
    collection) is left, with a warning naming the field, and the name kept."""
    doc = ifdo_doc()
    header = doc["image-set-header"]
    header["image-platform"] = {
        "name": "RV Simon Stevin",
        "uri": "https://vocab.nerc.ac.uk/collection/L06/current/31",
    }
    header["image-sensor"] = {
        "name": "FlowCam 8400",
        "uri": "https://hdl.handle.net/20.500.12085/flowcam-8400",
    }
    sidecar = parse_sidecar("flowcam_iFDO.json", json.dumps(doc).encode())
    fields = sidecar.set_metadata.fields
    assert fields["platform"] == {
        "name": "RV Simon Stevin",
        "uri": "http://vocab.nerc.ac.uk/collection/L06/current/31/",
    }
    assert fields["instrument"] == {"name": "FlowCam 8400", "uri": None}
    [warning] = sidecar.warnings
    assert warning.startswith("image-set-header, field image-sensor: ")
    assert "is not a NERC Vocabulary Server term URI" in warning
    assert "keeps the name 'FlowCam 8400' without this uri" in warning

    header["image-sensor"]["uri"] = "http://vocab.nerc.ac.uk/collection/L06/current/31/"
    sidecar = parse_sidecar("flowcam_iFDO.json", json.dumps(doc).encode())
    [warning] = sidecar.warnings
    assert "the instrument must be a device (L22) or a device category (L05)" in warning


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
    assert fields["licence"] == {"name": "CC-BY-4.0", "uri": None}
    assert sidecar.warnings == [
        "image-set-header, field image-license: 'CC-BY' is not an SPDX id; read as "
        "CC-BY-4.0 (its current version)",
        "image-set-header, field image-coordinate-reference-system: 'EPSG:32631' is not "
        "EPSG:4326; latitude and longitude were read as WGS 84 degrees",
    ]


def test_list_valued_item_takes_first_entry_and_keeps_the_rest():
    doc = ifdo_doc()
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
    doc = ifdo_doc()
    _, video = FIRSTS[0]
    doc["image-set-items"] = {video: [{"image-latitude": 51.1}, {"image-longitude": 200}]}
    error = reject(parse_ifdo, json.dumps(doc), name="video.json")
    assert problem_rows(error) == [
        (
            None,
            f"image-set-items[{video!r}][2].image-longitude",
            "longitude 200.0 is out of range [-180, 180]",
        )
    ]


def test_ifdo_bad_type_names_item_and_field():
    doc = ifdo_doc()
    _, file_name = FIRSTS[0]
    doc["image-set-items"] = {file_name: {"image-latitude": "fifty-one"}}
    error = reject(parse_ifdo, yaml.safe_dump(doc), name="bad.yaml")
    assert problem_rows(error) == [
        (
            None,
            f"image-set-items[{file_name!r}].image-latitude",
            "expected a number, got str 'fifty-one'",
        )
    ]
    doc["image-set-items"] = {file_name: {"image-datetime": "yesterday"}}
    [(_, column, reason)] = problem_rows(reject(parse_ifdo, yaml.safe_dump(doc), name="b.yaml"))
    assert column == f"image-set-items[{file_name!r}].image-datetime"
    assert reason.startswith("'yesterday' is not a date and time")


@pytest.mark.parametrize("missing", ["image-set-uuid", "image-set-name"])
def test_missing_required_header_field_is_named(missing):
    doc = ifdo_doc()
    del doc["image-set-header"][missing]
    error = reject(parse_ifdo, yaml.safe_dump(doc), name="nouuid.yaml")
    assert problem_rows(error) == [
        (None, "image-set-header", f"{missing} is missing (iFDO requires it)")
    ]


def test_missing_header_and_bad_uuid_are_rejected():
    error = reject(parse_ifdo, "image-set-items: {}\n", name="x.yaml")
    assert problem_rows(error) == [(None, "", "not an iFDO: image-set-header is missing")]
    doc = ifdo_doc()
    doc["image-set-header"]["image-set-uuid"] = "not-a-uuid"
    error = reject(parse_ifdo, json.dumps(doc), name="x.json")
    assert problem_rows(error) == [
        (None, "image-set-header.image-set-uuid", "'not-a-uuid' is not a UUID")
    ]


def test_yaml_alias_bomb_is_rejected_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for anchor in "bcdefghi":
        lines.append(f"{anchor}: &{anchor} [{', '.join(['*' + previous] * 9)}]")
        previous = anchor
    bomb = "image-set-header:\n  image-set-name: lol\n" + "\n".join("  " + line for line in lines)
    started = time.perf_counter()
    error = reject(parse_ifdo, bomb.encode(), name="bomb.yaml")
    assert time.perf_counter() - started < 1.0
    [(_, _, reason)] = problem_rows(error)
    assert reason.startswith("YAML aliases are not accepted")
    assert "an alias can expand a small file into an enormous document" in reason


def test_yaml_duplicate_keys_and_oversized_documents_are_rejected():
    error = reject(parse_ifdo, "image-set-header: {}\nimage-set-header: {}\n", name="d.yaml")
    assert problem_rows(error) == [
        (2, "", "key 'image-set-header' appears twice in the same mapping")
    ]
    error = reject(parse_ifdo, b" " * (MAX_IFDO_BYTES + 1), name="huge.yaml")
    assert problem_rows(error) == [(None, "", "is 50.0 MB; iFDO documents over 50 MB are refused")]
