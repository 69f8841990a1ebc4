"""The metadata formats a set can be had in, each declared once.

An entry carries everything the portal needs to offer a format, the way a
Django REST Framework renderer carries its `media_type` and `format`: the key
(the URL slug and file suffix of /sets/<uuid>/metadata.<key>), the media type,
the label and group the landing page lists it under, the writer, whether
Signposting names it as describing the set, and, where the format is offered
over OAI-PMH, its metadataPrefix, schema, namespace and element builder.

The metadata download view, Signposting, the landing page, OAI-PMH and the
RO-Crate all read this module, so adding a format is one entry here (and its
writer module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from catalogue.formats import (
    citation,
    coco,
    croissant,
    datacite,
    dcat,
    dublin_core,
    dwca,
    ecotaxa,
    ifdo,
    schema_org,
    yolo,
)
from catalogue.models import ImageSet

#: A writer: (image_set, *, base) -> the document, as text or bytes.
Writer = Callable[..., str | bytes]
#: An element builder: (image_set, *, base) -> the root element of an OAI-PMH record's metadata.
ElementBuilder = Callable[..., etree._Element]

# The landing page's download groups, in the order it shows them.
DESCRIBE = "Describe the set"
CITE = "Cite"
IMAGES = "Images and annotations"


@dataclass(frozen=True)
class OaiFormat:
    """How a format is disseminated over OAI-PMH."""

    prefix: str
    schema: str
    namespace: str
    element: ElementBuilder


@dataclass(frozen=True)
class MetadataFormat:
    """One format: /sets/<uuid>/metadata.<key>, served as `media_type`."""

    key: str
    media_type: str
    label: str
    group: str
    write: Writer
    #: Signposting `rel="describedby"`: the format describes the set (citations
    #: and image-level files do not).
    describedby: bool = False
    #: None where the document declares its own encoding (XML).
    charset: str | None = "utf-8"
    oai: OaiFormat | None = None

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset={self.charset}" if self.charset else self.media_type

    @property
    def lists_images(self) -> bool:
        """The document is about the set's images, one by one: it is read as the
        files are (catalogue.access.Action.READ_FILES), not as the set's metadata."""
        return self.group == IMAGES

    @property
    def file_name(self) -> str:
        """The name a download is saved under: the key is the file's extension."""
        return f"metadata.{self.key}"

    def render(self, image_set: ImageSet, *, base: str | None = None) -> bytes:
        """The document as bytes (text is encoded as UTF-8)."""
        body = self.write(image_set, base=base)
        return body.encode() if isinstance(body, str) else body


#: Every format, by key, in the order the landing page lists them.
FORMATS: dict[str, MetadataFormat] = {
    f.key: f
    for f in (
        MetadataFormat(
            "datacite.xml",
            "application/vnd.datacite.datacite+xml",
            "DataCite XML",
            DESCRIBE,
            datacite.to_xml,
            describedby=True,
            charset=None,
            oai=OaiFormat(
                "oai_datacite", datacite.SCHEMA_LOCATION, datacite.NAMESPACE, datacite.to_element
            ),
        ),
        MetadataFormat(
            "datacite.json",
            "application/vnd.datacite.datacite+json",
            "DataCite JSON",
            DESCRIBE,
            datacite.to_json_text,
            describedby=True,
        ),
        MetadataFormat(
            "jsonld",
            "application/ld+json",
            "schema.org JSON-LD",
            DESCRIBE,
            schema_org.to_json,
            describedby=True,
        ),
        MetadataFormat(
            "dc.xml",
            "application/xml",
            "Dublin Core (OAI-DC) XML",
            DESCRIBE,
            dublin_core.to_xml,
            describedby=True,
            charset=None,
            oai=OaiFormat(
                "oai_dc", dublin_core.SCHEMA, dublin_core.OAI_DC_NS, dublin_core.to_element
            ),
        ),
        MetadataFormat(
            "dcat.ttl",
            "text/turtle",
            "DCAT-AP Turtle",
            DESCRIBE,
            dcat.to_turtle,
            describedby=True,
        ),
        MetadataFormat(
            "dcat.rdf",
            "application/rdf+xml",
            "DCAT-AP RDF/XML",
            DESCRIBE,
            dcat.to_rdfxml,
            describedby=True,
            charset=None,
            oai=OaiFormat("dcat", dcat.SCHEMA, dcat.RDF_NS, dcat.to_element),
        ),
        MetadataFormat("txt", "text/plain", "Citation (plain text)", CITE, citation.text_file),
        MetadataFormat("bib", "application/x-bibtex", "BibTeX", CITE, citation.bibtex),
        MetadataFormat(
            "ris",
            "application/x-research-info-systems",
            "RIS (EndNote, Zotero)",
            CITE,
            citation.ris,
        ),
        MetadataFormat(
            "csl.json",
            "application/vnd.citationstyles.csl+json",
            "CSL-JSON",
            CITE,
            citation.csl_json_text,
        ),
        # Image-level metadata of the set, re-ingestable as sidecars.
        MetadataFormat(
            "ecotaxa.tsv", "text/tab-separated-values", "EcoTaxa TSV", IMAGES, ecotaxa.to_tsv
        ),
        MetadataFormat("ifdo.yaml", "application/yaml", "iFDO YAML", IMAGES, ifdo.to_yaml),
        MetadataFormat("ifdo.json", "application/json", "iFDO JSON", IMAGES, ifdo.to_json),
        # Annotations with their geometry, for detection and segmentation tools.
        MetadataFormat(
            "coco.json", "application/json", "COCO JSON (annotations)", IMAGES, coco.to_json
        ),
        MetadataFormat(
            "yolo.zip", "application/zip", "YOLO labels (zip)", IMAGES, yolo.to_zip, charset=None
        ),
        # Validated annotations as biodiversity records (OBIS, GBIF, EMODnet Biology).
        MetadataFormat(
            "dwca.zip",
            "application/zip",
            "Darwin Core Archive (OBIS, GBIF)",
            IMAGES,
            dwca.to_zip,
            charset=None,
        ),
        # The set as a machine-learning dataset: images, labels and splits.
        MetadataFormat(
            "croissant.json",
            "application/ld+json",
            "Croissant (machine learning)",
            IMAGES,
            croissant.to_json,
        ),
    )
}

#: The formats offered over OAI-PMH, by metadataPrefix: oai_dc first (the protocol
#: requires it of every repository), then the others in the order of FORMATS.
OAI_FORMATS: dict[str, OaiFormat] = {
    oai.prefix: oai
    for oai in sorted(
        (f.oai for f in FORMATS.values() if f.oai is not None),
        key=lambda oai: oai.prefix != "oai_dc",
    )
}
