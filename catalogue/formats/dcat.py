"""DCAT-AP 3 in RDF (rdflib): a dcat:Dataset with its distributions."""

from __future__ import annotations

from lxml import etree
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from catalogue import geometry
from catalogue.formats import common
from catalogue.models import ImageSet

ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCMITYPE_IMAGE = URIRef("http://purl.org/dc/dcmitype/Image")
WORMS_SCHEME = URIRef(common.WORMS_URL)
SPDX_LICENCE = "http://spdx.org/licenses/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# RDF/XML has no XSD of its own; the DCAT-AP 3 specification stands in (OAI-PMH schema).
SCHEMA = "https://semiceu.github.io/DCAT-AP/releases/3.0.0/"
#: The metadata formats (registry keys) listed as the dataset's distributions.
DISTRIBUTIONS = ("datacite.xml", "jsonld")


def _text(value) -> Literal:
    return Literal(common.xml_text(value))


def to_graph(image_set: ImageSet, *, base: str | None = None) -> Graph:
    s = image_set
    g = Graph()
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("adms", ADMS),
        ("locn", LOCN),
        ("gsp", GSP),
        ("dcatap", DCATAP),
    ):
        g.bind(prefix, ns)
    dataset = URIRef(common.cite_as(s, base))
    landing = URIRef(common.landing_url(s, base))
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.title, _text(s.title)))
    g.add((dataset, DCTERMS.description, _text(s.description or s.title)))
    g.add((dataset, DCTERMS.identifier, _text(common.cite_as(s, base))))
    g.add((dataset, DCAT.landingPage, landing))
    # DCAT-AP's range shapes check the class of every linked thing, with no inference:
    # each is typed here (a document, a concept, a resource...).
    g.add((landing, RDF.type, FOAF.Document))
    g.add((landing, RDF.type, RDFS.Resource))
    g.add((dataset, DCTERMS.type, DCMITYPE_IMAGE))
    _concept(g, DCMITYPE_IMAGE, "Image")
    if s.doi:
        ident = BNode()
        g.add((dataset, ADMS.identifier, ident))
        g.add((ident, RDF.type, ADMS.Identifier))
        g.add((ident, SKOS.notation, Literal(common.doi_url(s), datatype=XSD.anyURI)))
        g.add((ident, DCTERMS.creator, URIRef("https://www.datacite.org")))
    g.add((dataset, DCTERMS.issued, Literal(common.publication_date(s), datatype=XSD.date)))
    if s.updated:
        g.add((dataset, DCTERMS.modified, Literal(s.updated, datatype=XSD.dateTime)))
    if s.version:
        g.add((dataset, URIRef(f"{DCAT}version"), _text(s.version)))  # DCAT 3 term
    publisher = BNode()
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, _text(common.publisher_name())))
    for creator in s.creators:
        orcid = common.orcid_url(creator)
        agent = URIRef(orcid) if orcid else BNode()
        g.add((dataset, DCTERMS.creator, agent))
        g.add((agent, RDF.type, FOAF.Agent))  # what dct:creator's range shape asks for
        g.add((agent, RDF.type, FOAF.Person if common.is_person(creator) else FOAF.Organization))
        g.add((agent, FOAF.name, _text(creator["name"])))
        ror = common.ror_url(creator)
        if ror:
            g.add((agent, URIRef("http://www.w3.org/ns/org#memberOf"), URIRef(ror)))
    for keyword in s.keywords:
        g.add((dataset, DCAT.keyword, _text(keyword)))
    for taxon in s.taxa:
        g.add((dataset, DCAT.keyword, _text(taxon["scientific_name"])))
        if taxon.get("aphia_id"):
            concept = URIRef(common.worms_lsid(taxon["aphia_id"]))
            g.add((dataset, DCAT.theme, concept))
            _concept(g, concept, taxon["scientific_name"], WORMS_SCHEME)
    for uri, label, scheme in _nvs_terms(s):
        g.add((dataset, DCAT.theme, URIRef(uri)))
        _concept(g, URIRef(uri), label, scheme)
    lic = URIRef(f"{SPDX_LICENCE}{s.licence}")
    g.add((dataset, DCTERMS.license, lic))
    g.add((lic, RDF.type, DCTERMS.LicenseDocument))
    rights = URIRef(common.EU_ACCESS_RIGHTS[s.access])
    g.add((dataset, DCTERMS.accessRights, rights))
    g.add((rights, RDF.type, DCTERMS.RightsStatement))
    bbox = common.bbox(s)
    if bbox is not None or s.polygon:
        location = BNode()
        g.add((dataset, DCTERMS.spatial, location))
        g.add((location, RDF.type, DCTERMS.Location))
        if bbox is not None:
            box = geometry.bbox_wkt(bbox)
            g.add((location, DCAT.bbox, Literal(box, datatype=GSP.wktLiteral)))
        if s.polygon:
            # DCAT-AP 3: locn:geometry points at a locn:Geometry node, its WKT in gsp:asWKT.
            shape = BNode()
            wkt = geometry.polygon_wkt(geometry.outer_ring(s.polygon))
            g.add((location, LOCN.geometry, shape))
            g.add((shape, RDF.type, LOCN.Geometry))
            g.add((shape, GSP.asWKT, Literal(wkt, datatype=GSP.wktLiteral)))
    if s.time_start or s.time_end:
        period = BNode()
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if s.time_start:
            g.add((period, DCAT.startDate, Literal(s.time_start, datatype=XSD.dateTime)))
        if s.time_end:
            g.add((period, DCAT.endDate, Literal(s.time_end, datatype=XSD.dateTime)))
    for related in s.related_identifiers:
        target = related.get("identifier", "")
        if related.get("identifier_type") == "DOI":
            target = f"{common.DOI_URL}{target}"
        if target.startswith(("http://", "https://", "urn:")):
            g.add((dataset, DCTERMS.relation, URIRef(target)))
            g.add((URIRef(target), RDF.type, RDFS.Resource))
    # Distributions: the metadata exports (the images themselves sit behind the landing page).
    from catalogue.formats.registry import FORMATS  # noqa: PLC0415 - the registry imports dcat

    for fmt in DISTRIBUTIONS:
        media_type = FORMATS[fmt].media_type
        dist = URIRef(common.metadata_url(s, fmt, base))
        g.add((dataset, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.accessURL, landing))
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, RDF.type, RDFS.Resource))  # it is its own download URL
        media = URIRef(f"http://www.iana.org/assignments/media-types/{media_type}")
        g.add((dist, DCAT.mediaType, media))
        g.add((media, RDF.type, DCTERMS.MediaType))
        g.add((dist, DCTERMS.license, lic))
    return g


def _concept(g: Graph, concept: URIRef, label: str, scheme: URIRef | None = None) -> None:
    """A skos:Concept with the label DCAT-AP's concept shape requires."""
    g.add((concept, RDF.type, SKOS.Concept))
    g.add((concept, SKOS.prefLabel, _text(label)))
    if scheme is not None:
        g.add((concept, SKOS.inScheme, scheme))


def _nvs_terms(s: ImageSet) -> list[tuple[str, str, URIRef]]:
    """(term URI, label, collection URI) of the set's NVS instrument and platform."""
    terms = []
    for uri, label in ((s.instrument_uri, s.instrument), (s.platform_uri, s.platform)):
        if uri:
            terms.append((uri, label or uri, URIRef(common.nvs_collection(uri))))
    return terms


def to_turtle(image_set: ImageSet, *, base: str | None = None) -> str:
    return to_graph(image_set, base=base).serialize(format="turtle")


def to_rdfxml(image_set: ImageSet, *, base: str | None = None) -> bytes:
    return to_graph(image_set, base=base).serialize(format="pretty-xml", encoding="utf-8")


def to_element(image_set: ImageSet, *, base: str | None = None) -> etree._Element:
    """The `rdf:RDF` element, for embedding (OAI-PMH `dcat` records)."""
    return etree.fromstring(to_rdfxml(image_set, base=base))
