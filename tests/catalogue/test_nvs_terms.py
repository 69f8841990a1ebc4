"""The bundled NVS terms and their lookups: well-formed URIs, categories present,
search for type-ahead, and the checks instrument and platform URIs go through."""

from __future__ import annotations

import json
import re

import pytest

from catalogue.vocabularies import nvs
from catalogue.vocabularies.nvs.lookups import DATA

URI_RE = re.compile(
    r"^http://vocab\.nerc\.ac\.uk/collection/(L22|L05|L06)/current/([A-Za-z0-9]+)/$"
)
IFCB = "http://vocab.nerc.ac.uk/collection/L22/current/TOOL1588/"
RESEARCH_VESSEL = "http://vocab.nerc.ac.uk/collection/L06/current/31/"


def bundled_rows() -> list[dict]:
    return json.loads(DATA.read_text())["terms"]


def test_every_bundled_uri_is_well_formed_and_matches_its_identifier():
    rows = bundled_rows()
    assert len({row["uri"] for row in rows}) == len(rows)
    for row in rows:
        match = URI_RE.match(row["uri"])
        assert match, row["uri"]
        collection, code = match.groups()
        assert row["identifier"] == f"SDN:{collection}::{code}"
        assert row["label"].strip() == row["label"] and row["label"]
        if collection == "L22":
            assert re.fullmatch(r"TOOL\d{4}", code), code


def test_every_device_has_its_current_categories_bundled():
    devices = nvs.terms("L22")
    assert len(devices) >= 60
    for device in devices:
        assert device.broader, device.uri
        for category in nvs.broader(device.uri):
            assert category.collection == "L05" and not category.deprecated
        assert len(nvs.broader(device.uri)) == len(device.broader), device.uri


def test_the_imaging_instruments_are_there():
    labels = " | ".join(t.label for t in nvs.terms("L22"))
    for name in (
        "FlowCam",
        "UVP5",
        "UVP6",
        "ZooSCAN",
        "Imaging FlowCytobot",
        "LOKI",
        "ISIIS",
        "Video Plankton Recorder",
        "CPICS",
        "camera",
        "hydrophone",
        "Synthetic Aperture",
    ):
        assert name in labels, name
    platforms = {t.label for t in nvs.terms("L06")}
    assert {
        "research vessel",
        "mooring",
        "autonomous underwater vehicle",
        "fixed benthic node",
        "sub-surface gliders",
        "satellite",
    } <= platforms


def test_lookup_by_any_spelling_of_the_uri():
    for spelling in (
        IFCB,
        "https://vocab.nerc.ac.uk/collection/L22/current/TOOL1588",
        "http://vocab.nerc.ac.uk/collection/L22/TOOL1588/",
        "SDN:L22::TOOL1588",
    ):
        found = nvs.term(spelling)
        assert found is not None and found.uri == IFCB, spelling
    assert nvs.label(IFCB) == "McLane Research Laboratories Imaging FlowCytobot imaging sensor"
    assert nvs.collection_of(IFCB) == "L22"
    assert [c.label for c in nvs.broader(IFCB)] == [
        "plankton categorisers and counters",
        "flow cytometers",
    ]
    assert nvs.term("http://example.org/TOOL1588/") is None
    assert nvs.label("http://vocab.nerc.ac.uk/collection/L22/current/TOOL9999/") == ""


def test_search_for_type_ahead():
    def labels(collections, text):
        return [t.label for t in nvs.search(collections, text)]

    instruments = nvs.INSTRUMENT.collections
    assert labels(instruments, "flowcam")[0].startswith(
        "Yokogawa Fluid Imaging Technologies FlowCam"
    )
    assert labels(instruments, "IFCB") == [nvs.label(IFCB)]
    assert all("UVP6" in label for label in labels(instruments, "uvp6"))
    assert labels(instruments, "cameras")[0] == "cameras"  # the exact L05 category first
    assert labels(instruments, "SDN:L22::TOOL1588") == [nvs.label(IFCB)]
    assert labels(("L06",), "research vessel")[0] == "research vessel"
    assert labels(("L06",), "vessel research")[0] == "research vessel"  # every word, any order
    assert labels(("L06",), "flowcam") == []
    assert labels(("L06",), IFCB) == []  # a term of another collection is not offered
    assert len(nvs.search(("L06",), "", limit=5)) == 5
    # Deprecated terms are never offered.
    assert "underwater cameras" not in labels(("L05",), "underwater cameras")


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        (nvs.INSTRUMENT, "FlowCam", "is not a NERC Vocabulary Server term URI"),
        (nvs.INSTRUMENT, "http://example.org/collection/L22/current/TOOL1588/", "is not a NERC"),
        (nvs.INSTRUMENT, RESEARCH_VESSEL, "is a term of L06 (SeaVoX Platform Categories)"),
        (nvs.PLATFORM, IFCB, "the platform must be a platform category (L06)"),
        (nvs.PLATFORM, "http://vocab.nerc.ac.uk/collection/L06/current/ZZ/", "has no term 'ZZ'"),
        (nvs.INSTRUMENT, "http://vocab.nerc.ac.uk/collection/L22/current/X1/", "not an L22 code"),
        (nvs.INSTRUMENT, "http://vocab.nerc.ac.uk/collection/L05/current/180/", "deprecated"),
    ],
)
def test_uris_a_field_cannot_take_say_why(kind, value, reason):
    with pytest.raises(nvs.TermError, match=re.escape(reason)):
        nvs.check_uri(kind, value)


def test_allowed_uris_come_back_canonical_and_labels_are_filled():
    assert nvs.check_uri(nvs.INSTRUMENT, "SDN:L22::TOOL1588") == IFCB
    assert nvs.check_uri(nvs.INSTRUMENT, "https://vocab.nerc.ac.uk/collection/L05/current/311") == (
        "http://vocab.nerc.ac.uk/collection/L05/current/311/"
    )
    assert nvs.check_uri(nvs.PLATFORM, "  ") == ""
    assert nvs.fill_label(nvs.INSTRUMENT, IFCB, "") == nvs.label(IFCB)
    assert nvs.fill_label(nvs.INSTRUMENT, IFCB, "IFCB 104") == "IFCB 104"
    # A device outside the bundled subset is accepted, but only with its label.
    unbundled = nvs.check_uri(nvs.INSTRUMENT, "SDN:L22::TOOL0022")
    assert nvs.fill_label(nvs.INSTRUMENT, unbundled, "SBE 911plus") == "SBE 911plus"
    with pytest.raises(nvs.TermError, match="give it in instrument"):
        nvs.fill_label(nvs.INSTRUMENT, unbundled, "")
    assert nvs.term_for_label(nvs.PLATFORM, "Research Vessel") == RESEARCH_VESSEL
    assert nvs.term_for_label(nvs.PLATFORM, "our boat") == ""
