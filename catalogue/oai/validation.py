"""Offline XSD validation of OAI-PMH responses, metadata included.

One schema imports the OAI-PMH envelope, oai_dc, DataCite and a lax stand-in
for RDF/XML, so the envelope's strict `<any>` for metadata is checked against
the real schema of every format we disseminate.
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent / "schemas"


@cache
def oai_schema() -> etree.XMLSchema:
    datacite_xsd = importlib.resources.files("validator") / "schema" / "metadata.xsd"
    imports = [
        ("http://www.openarchives.org/OAI/2.0/", HERE / "OAI-PMH.xsd"),
        ("http://www.openarchives.org/OAI/2.0/oai_dc/", HERE / "oai_dc.xsd"),
        ("http://datacite.org/schema/kernel-4", Path(str(datacite_xsd))),
        ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", HERE / "rdf-lax.xsd"),
    ]
    driver = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="urn:aquacat:oai-validation">'
        + "".join(
            f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>'
            for ns, path in imports
        )
        + "</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(driver, base_url=(HERE / "driver.xsd").as_uri()))


def oai_errors(document: bytes | etree._Element) -> list[str]:
    """What the OAI-PMH schema (with the metadata schemas) finds wrong; [] if valid."""
    if isinstance(document, bytes):
        document = etree.fromstring(document)
    schema = oai_schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
