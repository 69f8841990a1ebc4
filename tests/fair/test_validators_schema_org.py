"""schema.org Dataset JSON-LD of a realistic set, checked two ways:

- Google's Dataset structured data guide
  (https://developers.google.com/search/docs/appearance/structured-data/dataset):
  its required properties (name; description of 50 to 5000 characters), and the
  recommended ones the set holds data for, in the forms the guide asks (creator
  with @type, distribution as DataDownload with contentUrl and encodingFormat,
  includedInDataCatalog as DataCatalog, spatialCoverage as Place...);
- the schema.org vocabulary itself (the copy the `rocrate` package ships): after
  JSON-LD expansion with pyld and parsing with rdflib, every type is a schema.org
  class, every property a schema.org property used on a type in its domain, with a
  value in its range, as the Schema Markup Validator checks.

Before: 3 vocabulary errors (`instrument`, an Action's property, twice on the
Dataset; `affiliation`, a Person's, on an Organization) and 4 of Google's recommended
properties missing although the set holds their data (includedInDataCatalog,
funder, isBasedOn, citation). After: none."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import pytest
from pyld import jsonld
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as rdfns

from catalogue.formats import schema_org
from tests.fair.validators_support import ZOOSCAN, realistic_set

pytestmark = pytest.mark.django_db

SDO = Namespace("http://schema.org/")
GOOGLE_REQUIRED = ("name", "description")
#: Google's recommended Dataset properties (and those of its DataCatalog and
#: DataDownload sections) that a realistic set holds the data for.
GOOGLE_RECOMMENDED = (
    "citation",
    "creator",
    "distribution",
    "funder",
    "identifier",
    "includedInDataCatalog",
    "isAccessibleForFree",
    "isBasedOn",
    "keywords",
    "license",
    "measurementTechnique",
    "spatialCoverage",
    "temporalCoverage",
    "url",
    "variableMeasured",
    "version",
)
DATATYPES = {SDO[name] for name in ("Text", "URL", "Number", "Integer", "Float", "Boolean")}
DATATYPES |= {SDO[name] for name in ("Date", "DateTime", "Time", "DataType")}


@cache
def vocabulary() -> Graph:
    path = resources.files("rocrate") / "data" / "schema.jsonld"
    return Graph().parse(data=path.read_text("utf-8"), format="json-ld")


def superclasses(cls: URIRef) -> set[URIRef]:
    return set(vocabulary().transitive_objects(cls, rdfns.RDFS.subClassOf))


def offline_loader(url, options=None):
    """schema.org's context, as far as these documents use it: its vocabulary."""
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    context = {"@context": {"@vocab": str(SDO)}}
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": context,
    }


def as_rdf(document: dict) -> Graph:
    quads = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": offline_loader}
    )
    return Graph().parse(data=quads, format="nt")


def vocabulary_errors(graph: Graph) -> list[str]:
    vocab, errors = vocabulary(), []
    types = {node: set(graph.objects(node, rdfns.RDF.type)) for node in graph.subjects()}
    for cls in {t for ts in types.values() for t in ts}:
        if (cls, rdfns.RDF.type, rdfns.RDFS.Class) not in vocab:
            errors.append(f"{cls} is no schema.org type")
    for subject, prop, value in graph:
        if prop == rdfns.RDF.type:
            continue
        if (prop, rdfns.RDF.type, rdfns.RDF.Property) not in vocab:
            errors.append(f"{prop} is no schema.org property")
            continue
        domain = set(vocab.objects(prop, SDO.domainIncludes))
        held = {c for t in types.get(subject, ()) for c in superclasses(t)}
        if not held & domain:
            errors.append(f"{prop} is no property of {sorted(types.get(subject, ()))}")
        ranges = set(vocab.objects(prop, SDO.rangeIncludes))
        if isinstance(value, Literal):
            fits = bool(ranges & DATATYPES) or any(superclasses(r) & DATATYPES for r in ranges)
        else:
            value_types = {c for t in types.get(value, ()) for c in superclasses(t)}
            # An untyped IRI links to something described elsewhere: its class is unknown.
            fits = bool(value_types & ranges) if value_types else isinstance(value, URIRef)
        if not fits:
            errors.append(f"{prop} of {subject} has {value!r}, outside its range")
    return errors


def test_realistic_set_meets_google_dataset_guide(tmp_path, people):
    with realistic_set(tmp_path, people) as image_set:
        data = schema_org.to_dict(image_set, media_types=["application/zip"])
    assert data["@type"] == "Dataset"
    assert all(data.get(prop) for prop in GOOGLE_REQUIRED)
    assert 50 <= len(data["description"]) <= 5000
    assert [prop for prop in GOOGLE_RECOMMENDED if data.get(prop) in (None, "", [])] == []

    assert all(c["@type"] in ("Person", "Organization") and c["name"] for c in data["creator"])
    assert data["creator"][0]["@id"] == "https://orcid.org/0000-0002-1825-0097"
    assert all(
        d["@type"] == "DataDownload" and d["contentUrl"].startswith("http") and d["encodingFormat"]
        for d in data["distribution"]
    )
    catalog = data["includedInDataCatalog"]
    assert catalog["@type"] == "DataCatalog" and catalog["name"] == "AquaCat"
    assert data["spatialCoverage"]["@type"] == "Place"
    assert data["spatialCoverage"]["geo"]["@type"] == "GeoShape"
    start, end = data["temporalCoverage"].split("/")
    assert start.startswith("2019-03-01") and end.startswith("2021-11-30")
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["isAccessibleForFree"] is True
    assert data["isBasedOn"] == ["https://doi.org/10.14284/435"]
    assert data["citation"] == ["https://ecotaxa.obs-vlfr.fr/prj/1234"]
    assert data["funder"][0]["@id"] == "https://doi.org/10.13039/501100003130"
    [term] = [t for t in data["measurementTechnique"] if isinstance(t, dict)]
    assert term == {
        "@type": "DefinedTerm",
        "@id": ZOOSCAN,
        "name": "ZooScan",
        "url": ZOOSCAN,
        "termCode": "TOOL1581",
        "inDefinedTermSet": "http://vocab.nerc.ac.uk/collection/L22/current/",
    }
    assert "Scanner" in data["measurementTechnique"]
    assert {v["name"] for v in data["variableMeasured"]} >= {"depth"}


def test_every_term_is_schema_org_in_its_domain_and_range(tmp_path, people, demo_set):
    with realistic_set(tmp_path, people) as image_set:
        documents = [schema_org.to_dict(image_set), schema_org.to_dict(demo_set)]
    for document in documents:
        graph = as_rdf(document)
        dataset = URIRef(document["@id"])
        assert (dataset, rdfns.RDF.type, SDO.Dataset) in graph
        assert vocabulary_errors(graph) == []
    # The landing page's <script> form says the same.
    embedded = json.loads(schema_org.to_script_tag_json(demo_set))
    assert embedded == documents[1]


def test_the_checker_finds_a_misused_term(make_set):
    data = schema_org.to_dict(make_set())
    data["instrument"] = {"@type": "Thing", "name": "FlowCam"}  # an Action's property
    data["taxonRank"] = "Species"  # a Taxon's
    data["isAccessibleForFree"] = {"@type": "Place", "name": "here"}  # a Boolean's place
    errors = vocabulary_errors(as_rdf(data))
    assert len(errors) == 3
    assert sum("is no property of" in e for e in errors) == 2
    assert any("isAccessibleForFree" in e and "outside its range" in e for e in errors)
