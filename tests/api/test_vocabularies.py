"""NVS terms through the API: the vocabulary endpoints, and image-set writes whose
instrument and platform URIs are checked, made canonical and labelled."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalogue.models import ImageSet
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

IFCB = "http://vocab.nerc.ac.uk/collection/L22/current/TOOL1588/"
IFCB_LABEL = "McLane Research Laboratories Imaging FlowCytobot imaging sensor"
RESEARCH_VESSEL = "http://vocab.nerc.ac.uk/collection/L06/current/31/"
MOORING = "http://vocab.nerc.ac.uk/collection/L06/current/48/"


def test_instruments_type_ahead():
    response = APIClient().get("/api/v1/vocabularies/instruments/", {"q": "flowcam"})
    assert response.status_code == 200
    body = response.json()
    first = body["results"][0]
    assert first["uri"] == "http://vocab.nerc.ac.uk/collection/L22/current/TOOL1583/"
    assert first["collection"] == "L22" and first["identifier"] == "SDN:L22::TOOL1583"
    assert "FlowCam" in first["label"]
    assert {
        "uri": "http://vocab.nerc.ac.uk/collection/L05/current/352/",
        "label": "plankton categorisers and counters",
    } in first["broader"]
    assert body["source"]["licence"] == "CC-BY-4.0"
    ifcb = APIClient().get("/api/v1/vocabularies/instruments/", {"q": "IFCB"}).json()["results"]
    assert [t["uri"] for t in ifcb] == [IFCB]


def test_platforms_and_device_categories():
    client = APIClient()
    platforms = client.get("/api/v1/vocabularies/platforms/", {"q": "research vessel"}).json()
    assert platforms["results"][0] == {
        "uri": RESEARCH_VESSEL,
        "identifier": "SDN:L06::31",
        "collection": "L06",
        "label": "research vessel",
        "definition": platforms["results"][0]["definition"],
        "deprecated": False,
        "broader": [],
        "keywords": [],
    }
    assert platforms["results"][0]["definition"].startswith("A platform of any size")
    # Only platform categories: a device is not a platform.
    assert client.get("/api/v1/vocabularies/platforms/", {"q": "flowcam"}).json()["results"] == []
    categories = client.get("/api/v1/vocabularies/device-categories/", {"q": "hydrophones"})
    assert [t["uri"] for t in categories.json()["results"]] == [
        "http://vocab.nerc.ac.uk/collection/L05/current/369/"
    ]
    everything = client.get("/api/v1/vocabularies/platforms/", {"limit": 100}).json()["results"]
    assert len(everything) == 85 and all(t["collection"] == "L06" for t in everything)


def test_vocabulary_parameters_are_checked():
    client = APIClient()
    for limit, message in (("x", "whole number"), ("0", "between 1 and 100"), ("101", "between")):
        response = client.get("/api/v1/vocabularies/instruments/", {"limit": limit})
        assert response.status_code == 400
        assert message in response.json()["errors"]["limit"][0]
    assert client.get("/api/v1/vocabularies/gadgets/").status_code == 404


def test_a_uri_alone_brings_its_label_and_is_stored_canonical(people):
    client = client_for("owner", people)
    created = client.post(
        "/api/v1/image-sets/",
        {
            "title": "IFCB at the pier",
            "instrument_uri": "https://vocab.nerc.ac.uk/collection/L22/current/TOOL1588",
            "platform_uri": "SDN:L06::48",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["instrument_uri"] == IFCB and body["instrument"] == IFCB_LABEL
    assert body["platform_uri"] == MOORING and body["platform"] == "mooring"
    stored = ImageSet.objects.get(pk=body["id"])
    assert (stored.instrument_uri, stored.platform_uri) == (IFCB, MOORING)
    # A label given beside the URI is kept; a URI changed alone replaces the old label.
    patched = client.patch(
        body["url"],
        {"platform_uri": RESEARCH_VESSEL, "instrument": "IFCB 104", "instrument_uri": IFCB},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["platform"] == "research vessel"
    assert patched.json()["instrument"] == "IFCB 104" and patched.json()["instrument_uri"] == IFCB
    # A label changed alone takes the URI of the term it names, or none: the old URI
    # would describe another instrument.
    relabelled = client.patch(body["url"], {"instrument": "a camera of our own"}, format="json")
    assert relabelled.json()["instrument_uri"] == ""
    relabelled = client.patch(body["url"], {"platform": "Mooring"}, format="json").json()
    assert (relabelled["platform"], relabelled["platform_uri"]) == ("Mooring", MOORING)
    listed = client.get("/api/v1/image-sets/").json()
    assert [row["platform_uri"] for row in listed["results"]] == [MOORING]


def test_free_text_stays_allowed_and_an_exact_label_finds_its_term(people):
    client = client_for("owner", people)
    created = client.post(
        "/api/v1/image-sets/",
        {"title": "Old style", "instrument": "FlowCam", "platform": "research vessel"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["instrument"] == "FlowCam" and body["instrument_uri"] == ""
    assert body["platform_uri"] == RESEARCH_VESSEL


def test_bad_uris_are_refused_per_field_with_the_other_errors(people):
    client = client_for("owner", people)
    response = client.post(
        "/api/v1/image-sets/",
        {
            "title": "Bad terms",
            "licence": "not-a-licence",
            "instrument_uri": "http://example.org/my-flowcam",
            "platform_uri": IFCB,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert {"licence", "instrument_uri", "platform_uri"} <= set(errors)
    assert "not a NERC Vocabulary Server term URI" in errors["instrument_uri"][0]
    assert "is a term of L22 (SeaVoX Device Catalogue)" in errors["platform_uri"][0]
    assert "platform category (L06)" in errors["platform_uri"][0]
    assert not ImageSet.objects.exists()


def test_wrong_collection_deprecated_and_unlabelled_devices(people):
    client = client_for("owner", people)
    created = client.post("/api/v1/image-sets/", {"title": "Terms"}, format="json").json()
    cases = {
        "instrument_uri": [
            (RESEARCH_VESSEL, "instrument must be a device (L22) or a device category (L05)"),
            ("http://vocab.nerc.ac.uk/collection/L05/current/180/", "deprecated"),
            ("http://vocab.nerc.ac.uk/collection/L22/current/TOOL0022/", "give it in instrument"),
            ("http://vocab.nerc.ac.uk/collection/P01/current/PSALST01/", "is a term of P01"),
        ],
        "platform_uri": [("http://vocab.nerc.ac.uk/collection/L06/current/ZZ/", "no term 'ZZ'")],
    }
    for field, values in cases.items():
        for value, reason in values:
            response = client.patch(created["url"], {field: value}, format="json")
            assert response.status_code == 400, value
            assert reason in response.json()["errors"][field][0], value
    stored = ImageSet.objects.get(pk=created["id"])
    assert (stored.instrument_uri, stored.platform_uri) == ("", "")
    # A device outside the bundled subset is taken with its label.
    ok = client.patch(
        created["url"],
        {"instrument_uri": "SDN:L22::TOOL0022", "instrument": "CTD"},
        format="json",
    )
    assert ok.status_code == 200
    assert ok.json()["instrument_uri"] == "http://vocab.nerc.ac.uk/collection/L22/current/TOOL0022/"
