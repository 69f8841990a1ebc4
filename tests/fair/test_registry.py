"""The format registry: every format declared once, served and listed as declared."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph
from rdflib.namespace import DCAT

from catalogue.formats import dcat, schema_org
from catalogue.formats.registry import FORMATS, OAI_FORMATS

DESCRIBE, CITE, IMAGES = "Describe the set", "Cite", "Images and annotations"
UTF8 = "; charset=utf-8"
# key, Content-Type of /sets/<uuid>/metadata.<key>, landing page group and label.
EXPECTED = [
    ("datacite.xml", "application/vnd.datacite.datacite+xml", DESCRIBE, "DataCite XML"),
    ("datacite.json", "application/vnd.datacite.datacite+json" + UTF8, DESCRIBE, "DataCite JSON"),
    ("jsonld", "application/ld+json" + UTF8, DESCRIBE, "schema.org JSON-LD"),
    ("dc.xml", "application/xml", DESCRIBE, "Dublin Core (OAI-DC) XML"),
    ("dcat.ttl", "text/turtle" + UTF8, DESCRIBE, "DCAT-AP Turtle"),
    ("dcat.rdf", "application/rdf+xml", DESCRIBE, "DCAT-AP RDF/XML"),
    ("txt", "text/plain" + UTF8, CITE, "Citation (plain text)"),
    ("bib", "application/x-bibtex" + UTF8, CITE, "BibTeX"),
    ("ris", "application/x-research-info-systems" + UTF8, CITE, "RIS (EndNote, Zotero)"),
    ("csl.json", "application/vnd.citationstyles.csl+json" + UTF8, CITE, "CSL-JSON"),
    ("ecotaxa.tsv", "text/tab-separated-values" + UTF8, IMAGES, "EcoTaxa TSV"),
    ("ifdo.yaml", "application/yaml" + UTF8, IMAGES, "iFDO YAML"),
    ("ifdo.json", "application/json" + UTF8, IMAGES, "iFDO JSON"),
    ("coco.json", "application/json" + UTF8, IMAGES, "COCO JSON (annotations)"),
    ("yolo.zip", "application/zip", IMAGES, "YOLO labels (zip)"),
    ("dwca.zip", "application/zip", IMAGES, "Darwin Core Archive (OBIS, GBIF)"),
    ("croissant.json", "application/ld+json" + UTF8, IMAGES, "Croissant (machine learning)"),
]
# The formats that describe the set (Signposting `describedby`), in registry order.
DESCRIBED = ["datacite.xml", "datacite.json", "jsonld", "dc.xml", "dcat.ttl", "dcat.rdf"]


def test_every_format_is_declared_with_its_media_type_group_and_label():
    assert [(f.key, f.content_type, f.group, f.label) for f in FORMATS.values()] == EXPECTED
    described = [f.key for f in FORMATS.values() if f.describedby]
    assert described == DESCRIBED
    assert all(f.file_name == f"metadata.{f.key}" for f in FORMATS.values())


def test_oai_formats_list_oai_dc_first_then_registry_order():
    assert [(p, o.namespace) for p, o in OAI_FORMATS.items()] == [
        ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
        ("oai_datacite", "http://datacite.org/schema/kernel-4"),
        ("dcat", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ]
    assert OAI_FORMATS["dcat"].schema == "https://semiceu.github.io/DCAT-AP/releases/3.0.0/"
    offered = {f.key: f.oai.prefix for f in FORMATS.values() if f.oai}
    assert offered == {"datacite.xml": "oai_datacite", "dc.xml": "oai_dc", "dcat.rdf": "dcat"}


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(FORMATS))
def test_each_download_answers_as_declared(client, full_set, key):
    response = client.get(f"/sets/{full_set.uuid}/metadata.{key}")
    assert response.status_code == 200
    assert response["Content-Type"] == FORMATS[key].content_type
    assert response.content
    assert f'/sets/{full_set.uuid}/> ; rel="describes" ; type="text/html"' in response["Link"]


@pytest.mark.django_db
def test_distributions_carry_the_registry_media_types(full_set):
    graph = Graph().parse(data=dcat.to_turtle(full_set), format="turtle")
    media = {
        str(dist).rsplit("metadata.", 1)[1]: str(graph.value(dist, DCAT.mediaType))
        for dist in graph.objects(None, DCAT.distribution)
    }
    iana = "http://www.iana.org/assignments/media-types/"
    assert media == {key: iana + FORMATS[key].media_type for key in dcat.DISTRIBUTIONS}
    data = json.loads(schema_org.to_json(full_set))
    assert data["distribution"][0]["encodingFormat"] == FORMATS["datacite.xml"].media_type
