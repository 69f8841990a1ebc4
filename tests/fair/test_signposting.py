"""FAIR Signposting on landing pages and files; linkset; metadata downloads."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from rdflib import Graph

from catalogue.formats import datacite
from tests.fair.test_registry import DESCRIBED


def links(header: str) -> list[tuple[str, str, str | None]]:
    out = []
    for part in header.split(" , "):
        fields = [f.strip() for f in part.split(";")]
        href = fields[0].strip("<>")
        attrs = dict(f.split("=", 1) for f in fields[1:])
        out.append((href, attrs["rel"].strip('"'), attrs.get("type", "").strip('"') or None))
    return out


@pytest.mark.django_db
def test_landing_page_signposting_level_1(client, full_set):
    response = client.get(f"/sets/{full_set.uuid}/")
    assert response.status_code == 200
    found = links(response["Link"])
    rels = {rel for _, rel, _ in found}
    assert {"cite-as", "describedby", "author", "license", "type", "linkset"} <= rels
    assert ("https://doi.org/10.14284/999", "cite-as", None) in found
    assert ("https://orcid.org/0000-0002-1825-0097", "author", None) in found
    described = {t: h for h, rel, t in found if rel == "describedby"}
    assert "application/vnd.datacite.datacite+xml" in described
    xml = client.get(described["application/vnd.datacite.datacite+xml"])
    assert xml.status_code == 200 and datacite.xml_errors(xml.content) == []
    # The embedded JSON-LD is there and parses.
    html = etree.HTML(response.content)
    script = html.find(".//script[@type='application/ld+json']").text
    data = json.loads(script)
    assert data["@type"] == "Dataset"
    Graph().parse(
        data=json.dumps(dict(data, **{"@context": {"@vocab": "https://schema.org/"}})),
        format="json-ld",
    )


@pytest.mark.django_db
def test_linkset_level_2(client, full_set):
    response = client.get(f"/sets/{full_set.uuid}/linkset")
    assert response["Content-Type"] == "application/linkset+json"
    linkset = response.json()["linkset"]
    assert linkset[0]["anchor"].endswith(f"/sets/{full_set.uuid}/")
    assert linkset[0]["cite-as"] == [{"href": "https://doi.org/10.14284/999"}]
    assert any(entry.get("describes") for entry in linkset[1:])


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", [*DESCRIBED, "bib", "ris", "csl.json", "txt"])
def test_metadata_downloads(client, full_set, fmt):
    response = client.get(f"/sets/{full_set.uuid}/metadata.{fmt}")
    assert response.status_code == 200
    assert response.content
    assert client.get(f"/sets/{full_set.uuid}/metadata.nope").status_code == 404


@pytest.mark.django_db
def test_hidden_sets_are_404(client, make_set):
    for fields in ({"state": "draft"}, {"access": "restricted"}):
        hidden = make_set(**fields)
        for path in ("/", "/linkset", "/metadata.datacite.xml"):
            assert client.get(f"/sets/{hidden.uuid}{path}").status_code == 404
