"""EML 2.2.0 (Ecological Metadata Language) of a set, as GBIF's IPT writes it:
the `eml.xml` of the Darwin Core Archive (catalogue/formats/dwca.py).

The GBIF metadata profile 1.3 (the one OBIS, GBIF and EMODnet Biology IPTs
write and read) orders a dataset as: identifiers, title, creators, metadata
provider, pubDate, language, abstract, keywords, intellectual rights with the
licence, distribution (the landing page), coverage (bounding box, dates, taxa),
maintenance, contact; then GBIF's additional metadata (date stamp, citation).
"""

from __future__ import annotations

from lxml import etree

from catalogue.formats import citation, common
from catalogue.models import ImageSet

NAMESPACE = "https://eml.ecoinformatics.org/eml-2.2.0"
SCHEMA_LOCATION = f"{NAMESPACE} https://rs.gbif.org/schema/eml-gbif-profile/1.3/eml.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _add(parent: etree._Element, tag: str, text=None, **attributes) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: str(v) for k, v in attributes.items()})
    if text is not None:
        element.text = common.xml_text(text)
    return element


def _party(parent: etree._Element, tag: str, creator: dict) -> etree._Element:
    """A creator as an EML responsible party: a person's name, or an organisation."""
    party = _add(parent, tag)
    given, family = common.split_name(creator.get("name", ""))
    if common.is_person(creator):
        person = _add(party, "individualName")
        if given:
            _add(person, "givenName", given)
        _add(person, "surName", family or creator.get("name", ""))
        if creator.get("affiliation"):
            _add(party, "organizationName", creator["affiliation"])
    else:
        _add(party, "organizationName", creator.get("name", ""))
    if creator.get("orcid"):
        _add(party, "userId", creator["orcid"], directory=common.ORCID_URL)
    elif creator.get("ror"):
        _add(party, "userId", creator["ror"], directory=common.ROR_URL)
    return party


def _publisher(parent: etree._Element, tag: str) -> None:
    _add(_add(parent, tag), "organizationName", common.publisher_name())


def _parties(dataset: etree._Element, tag: str, creators: list[dict]) -> None:
    """Every creator, or the publisher when the set names none (EML needs one)."""
    for creator in creators:
        _party(dataset, tag, creator)
    if not creators:
        _publisher(dataset, tag)


def _coverage(dataset: etree._Element, s: ImageSet, taxa: list[tuple[str, str]]) -> None:
    box = common.bbox(s)
    if box is None and not s.time_start and not taxa:
        return
    coverage = _add(dataset, "coverage")
    if box is not None:
        west, south, east, north = box
        geographic = _add(coverage, "geographicCoverage")
        _add(geographic, "geographicDescription", s.title)
        bounds = _add(geographic, "boundingCoordinates")
        for tag, value in (
            ("westBoundingCoordinate", west),
            ("eastBoundingCoordinate", east),
            ("northBoundingCoordinate", north),
            ("southBoundingCoordinate", south),
        ):
            _add(bounds, tag, repr(float(value)))
    if s.time_start:
        temporal = _add(coverage, "temporalCoverage")
        if s.time_end and s.time_end.date() != s.time_start.date():
            dates = _add(temporal, "rangeOfDates")
            _add(_add(dates, "beginDate"), "calendarDate", s.time_start.date().isoformat())
            _add(_add(dates, "endDate"), "calendarDate", s.time_end.date().isoformat())
        else:
            _add(_add(temporal, "singleDateTime"), "calendarDate", s.time_start.date().isoformat())
    if taxa:
        taxonomic = _add(coverage, "taxonomicCoverage")
        for rank, name in taxa:
            classification = _add(taxonomic, "taxonomicClassification")
            if rank:
                _add(classification, "taxonRankName", rank)
            _add(classification, "taxonRankValue", name)


def _rights(dataset: etree._Element, s: ImageSet) -> None:
    """The licence as IPT writes it: a sentence with a link, then `licensed`."""
    licence = common.licence(s)
    para = _add(_add(dataset, "intellectualRights"), "para", "This work is licensed under a ")
    link = _add(para, "ulink", url=licence["url"])
    _add(link, "citetitle", f"{licence['name']} ({licence['id']})")
    link.tail = "."
    licensed = _add(dataset, "licensed")
    _add(licensed, "licenseName", licence["name"])
    _add(licensed, "url", licence["spdx_url"])
    _add(licensed, "identifier", licence["id"])


def to_element(
    image_set: ImageSet, *, base: str | None = None, taxa: list[tuple[str, str]] | None = None
) -> etree._Element:
    """The EML document; `taxa` are the (rank, name) pairs of its taxonomic coverage."""
    s = image_set
    root = etree.Element(
        f"{{{NAMESPACE}}}eml",
        {
            f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION,
            "packageId": s.doi or str(s.uuid),
            "system": common.DOI_URL if s.doi else common.base_url(base),
            "scope": "system",
            XML_LANG: "eng",
        },
        nsmap={"eml": NAMESPACE, "dc": "http://purl.org/dc/terms/", "xsi": XSI},
    )
    dataset = _add(root, "dataset")
    _add(dataset, "alternateIdentifier", common.cite_as(s, base))
    if s.doi:
        _add(dataset, "alternateIdentifier", common.landing_url(s, base))
    _add(dataset, "title", s.title, **{XML_LANG: "eng"})
    _parties(dataset, "creator", s.creators)
    _publisher(dataset, "metadataProvider")
    _add(dataset, "pubDate", common.publication_date(s).isoformat())
    _add(dataset, "language", "eng")
    _add(_add(dataset, "abstract"), "para", s.description or s.title)
    keywords = [k for k in s.keywords if k] + [v for v in (s.instrument, s.platform) if v]
    if keywords:
        keyword_set = _add(dataset, "keywordSet")
        for keyword in dict.fromkeys(keywords):
            _add(keyword_set, "keyword", keyword)
        _add(keyword_set, "keywordThesaurus", "N/A")
    _rights(dataset, s)
    online = _add(_add(dataset, "distribution", scope="document"), "online")
    _add(online, "url", common.landing_url(s, base), function="information")
    _coverage(dataset, s, taxa or [])
    maintenance = _add(dataset, "maintenance")
    _add(_add(maintenance, "description"), "para", "A published version does not change.")
    _add(maintenance, "maintenanceUpdateFrequency", "notPlanned")
    _parties(dataset, "contact", s.creators[:1])
    gbif = _add(_add(_add(root, "additionalMetadata"), "metadata"), "gbif")
    # The set's last change, not the time of writing: the same set gives the same bytes.
    _add(gbif, "dateStamp", common.iso(s.updated or s.created))
    _add(gbif, "hierarchyLevel", "dataset")
    _add(gbif, "citation", citation.text(s, base=base), identifier=common.cite_as(s, base))
    return root


def to_xml(
    image_set: ImageSet, *, base: str | None = None, taxa: list[tuple[str, str]] | None = None
) -> bytes:
    return etree.tostring(
        to_element(image_set, base=base, taxa=taxa),
        xml_declaration=True,
        encoding="UTF-8",
        pretty_print=True,
    )
