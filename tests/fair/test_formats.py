"""Metadata formats from the catalogue models: DataCite (XSD and JSON schema),
Dublin Core, schema.org JSON-LD, DCAT-AP, citations."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lxml import etree
from rdflib import Graph, URIRef
from rdflib import namespace as rdfns

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats import citation, datacite, dcat, dublin_core, schema_org
from tests.fair.conftest import FULL

DC = {"d": "http://datacite.org/schema/kernel-4"}
SDO = "https://schema.org/"


def parse_jsonld(data: dict) -> Graph:
    """schema.org's remote context, offline: its @vocab is what these documents use."""
    doc = dict(data, **{"@context": {"@vocab": SDO}})
    return Graph().parse(data=json.dumps(doc), format="json-ld")


def test_demo_set_datacite_is_valid(demo_set):
    xml = datacite.to_xml(demo_set)
    assert datacite.xml_errors(xml) == []
    assert datacite.json_errors(datacite.to_json(demo_set)) == []
    root = etree.fromstring(xml)
    # No DOI yet: DataCite's "to be assigned" value, and the landing page beside it.
    assert root.findtext("d:identifier", namespaces=DC) == "(:tba)"
    alternates = root.findall("d:alternateIdentifiers/d:alternateIdentifier", DC)
    assert alternates[0].get("alternateIdentifierType") == "URL"
    assert alternates[0].text.endswith(f"/sets/{demo_set.uuid}/")
    items = root.findall("d:relatedItems/d:relatedItem", DC)
    assert [
        (i.get("relationType"), i.findtext("d:titles/d:title", namespaces=DC)) for i in items
    ] == [("IsCollectedBy", "FlowCam")]
    rights = root.find("d:rightsList/d:rights", DC)
    assert rights.get("rightsIdentifier") == "Apache-2.0"
    assert rights.get("rightsIdentifierScheme") == "SPDX"


def test_full_set_datacite_has_every_property(full_set):
    xml = datacite.to_xml(full_set)
    assert datacite.xml_errors(xml) == []
    assert datacite.json_errors(datacite.to_json(full_set)) == []
    root = etree.fromstring(xml)
    identifier = root.find("d:identifier", DC)
    assert (identifier.get("identifierType"), identifier.text) == ("DOI", "10.14284/999")
    creator = root.find("d:creators/d:creator", DC)
    assert creator.findtext("d:familyName", namespaces=DC) == "Mortelmans"
    name_id = creator.find("d:nameIdentifier", DC)
    assert name_id.text == "https://orcid.org/0000-0002-1825-0097"
    assert name_id.get("nameIdentifierScheme") == "ORCID"
    affiliation = creator.find("d:affiliation", DC)
    assert affiliation.get("affiliationIdentifier") == "https://ror.org/0496vr396"
    assert affiliation.get("affiliationIdentifierScheme") == "ROR"
    worms = [s for s in root.findall("d:subjects/d:subject", DC) if s.get("subjectScheme")]
    assert {s.text for s in worms} == {"Calanus finmarchicus", "Copepoda"}
    assert all(s.get("subjectScheme") == "WoRMS" for s in worms)
    assert root.find("d:geoLocations/d:geoLocation/d:geoLocationBox", DC) is not None
    assert len(root.findall(".//d:geoLocationPolygon/d:polygonPoint", DC)) == 5
    assert (
        root.findtext("d:fundingReferences/d:fundingReference/d:funderIdentifier", namespaces=DC)
        == "https://doi.org/10.13039/501100003130"
    )
    assert len(root.findall("d:relatedIdentifiers/d:relatedIdentifier", DC)) == 2
    related = root.findall("d:relatedItems/d:relatedItem", DC)
    assert {r.findtext("d:titles/d:title", namespaces=DC) for r in related} == {
        "ZooScan",
        "RV Simon Stevin",
    }
    assert {r.get("relationType") for r in related} == {"IsCollectedBy"}
    assert root.findtext("d:version", namespaces=DC) == "2.1"
    assert root.find("d:resourceType", DC).get("resourceTypeGeneral") == "Dataset"
    date_types = {d.get("dateType") for d in root.findall("d:dates/d:date", DC)}
    assert {"Created", "Updated", "Collected"} <= date_types
    assert "Depth: 0 to 35.5 m" in root.findtext(
        "d:descriptions/d:description[@descriptionType='TechnicalInfo']", namespaces=DC
    )


@pytest.mark.parametrize("bad", ["\x01\x08\x0b\x1f", "\ufffe\uffff", "<script>&"])
def test_control_characters_and_markup_never_break_xml(make_set, bad):
    image_set = make_set(title=f"Title {bad} end", description=f"a{bad}b", keywords=[f"k{bad}"])
    for document in (
        datacite.to_xml(image_set),
        dublin_core.to_xml(image_set),
        dcat.to_rdfxml(image_set),
    ):
        root = etree.fromstring(document)
        assert "Title" in etree.tostring(root, encoding="unicode")
    assert datacite.xml_errors(datacite.to_xml(image_set)) == []
    title = etree.fromstring(datacite.to_xml(image_set)).findtext("d:titles/d:title", namespaces=DC)
    if bad == "<script>&":
        assert title == "Title <script>& end"
    else:
        assert title == "Title  end"


def test_embargoed_set_is_available_at_its_embargo_end(make_set):

    image_set = make_set(access="embargoed", embargo_until=dt.date(2031, 5, 1))
    root = etree.fromstring(datacite.to_xml(image_set))
    assert datacite.xml_errors(root) == []
    assert root.findtext("d:publicationYear", namespaces=DC) == "2031"
    assert root.find("d:dates/d:date[@dateType='Available']", DC).text == "2031-05-01"


def test_schema_org_json_ld_parses_as_rdf(full_set):
    data = schema_org.to_dict(full_set)
    graph = parse_jsonld(data)
    dataset = URIRef("https://doi.org/10.14284/999")
    sdo = lambda term: URIRef(SDO + term)  # noqa: E731
    assert (dataset, rdfns.RDF.type, sdo("Dataset")) in graph
    assert str(graph.value(dataset, sdo("name"))) == full_set.title
    assert (
        str(graph.value(dataset, sdo("license"))) == "https://creativecommons.org/licenses/by/4.0/"
    )
    creator = URIRef("https://orcid.org/0000-0002-1825-0097")
    assert (dataset, sdo("creator"), creator) in graph
    keywords = {str(k) for k in graph.objects(dataset, sdo("keywords"))}
    assert {"zooplankton", "Calanus finmarchicus"} <= keywords
    assert graph.value(dataset, sdo("spatialCoverage")) is not None
    assert str(graph.value(dataset, sdo("temporalCoverage"))).startswith("2019-03-01T08:00:00Z/")
    assert {str(m) for m in graph.objects(dataset, sdo("measurementTechnique"))} == {
        "Scanner",
        "ZooScan",
    }
    assert graph.value(dataset, sdo("distribution")) is not None
    assert graph.value(dataset, sdo("variableMeasured")) is not None


def test_dcat_ap_graph(full_set):
    turtle = dcat.to_turtle(full_set)
    graph = Graph().parse(data=turtle, format="turtle")
    dataset = URIRef("https://doi.org/10.14284/999")
    assert (dataset, rdfns.RDF.type, rdfns.DCAT.Dataset) in graph
    assert (dataset, rdfns.DCTERMS.license, URIRef("http://spdx.org/licenses/CC-BY-4.0")) in graph
    assert str(graph.value(dataset, rdfns.DCTERMS.title)) == full_set.title
    spatial = graph.value(dataset, rdfns.DCTERMS.spatial)
    assert "POLYGON((2.2 51.1" in str(graph.value(spatial, rdfns.DCAT.bbox))
    assert len(list(graph.objects(dataset, rdfns.DCAT.distribution))) == 2
    # The RDF/XML (OAI-PMH `dcat`) says the same.
    again = Graph().parse(data=dcat.to_rdfxml(full_set), format="xml")
    assert len(again) == len(graph)


def test_dublin_core(full_set):
    from catalogue.oai.validation import oai_schema  # noqa: F401, PLC0415 - the schemas load

    root = dublin_core.to_element(full_set)
    values = [(etree.QName(e).localname, e.text) for e in root]
    assert ("identifier", "https://doi.org/10.14284/999") in values
    assert ("creator", "Mortelmans, Jonas") in values
    assert ("rights", "https://creativecommons.org/licenses/by/4.0/") in values


def test_citations(full_set, demo_set):
    text = citation.text(full_set)
    assert text == (
        f"Mortelmans, J.; LifeWatch Belgium ({full_set.created.year}). "
        "Zooplankton of the Belgian part of the North Sea, ZooScan 2019-2021. Version 2.1. "
        "AquaCat. [Data set]. https://doi.org/10.14284/999"
    )
    bib = citation.bibtex(full_set)
    assert bib.startswith(f"@misc{{Mortelmans{full_set.created.year}_")
    assert "doi = {10.14284/999}" in bib
    assert "author = {Mortelmans, Jonas and LifeWatch Belgium}" in bib
    ris = citation.ris(full_set)
    assert ris.startswith("TY  - DATA\r\n") and ris.endswith("ER  - \r\n")
    assert "DO  - 10.14284/999" in ris
    csl = citation.csl_json(full_set)
    assert csl["type"] == "dataset" and csl["DOI"] == "10.14284/999"
    assert csl["author"][0] == {"family": "Mortelmans", "given": "Jonas"}
    # Without a DOI, the landing page is what one cites.
    assert citation.text(demo_set).endswith(f"/sets/{demo_set.uuid}/")


def test_changes_flow_into_the_formats(db):
    # A draft: a published set's metadata is frozen.
    draft = services.create_image_set(**{**FULL, "state": "draft"}, actor=SYSTEM)
    services.update_image_set(draft, title="Renamed", licence="CC0-1.0", actor=SYSTEM)
    root = etree.fromstring(datacite.to_xml(draft))
    assert root.findtext("d:titles/d:title", namespaces=DC) == "Renamed"
    assert root.find("d:rightsList/d:rights", DC).get("rightsIdentifier") == "CC0-1.0"
