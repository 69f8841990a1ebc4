"""schema.org `Dataset` as JSON-LD (Google Dataset Search, Science-on-Schema.org)."""

from __future__ import annotations

import json

from catalogue import geometry
from catalogue.formats import common
from catalogue.models import ImageSet

CONTEXT = "https://schema.org/"
#: Google's Dataset properties filled from DataCite relation types of related identifiers:
#: what the set derives from, and the articles to cite beside it.
RELATED = {
    "isBasedOn": ("IsDerivedFrom",),
    "citation": ("IsSupplementTo", "IsCitedBy", "IsReferencedBy", "IsDocumentedBy"),
}


def _person(creator: dict) -> dict:
    person: dict = {
        "@type": "Person" if common.is_person(creator) else "Organization",
        "name": creator["name"],
    }
    if creator.get("orcid"):
        person["@id"] = common.orcid_url(creator)
        person["identifier"] = common.orcid_url(creator)
    given, family = common.split_name(creator["name"])
    if person["@type"] == "Person" and given:
        person["givenName"], person["familyName"] = given, family
    if creator.get("affiliation") or creator.get("ror"):
        org: dict = {"@type": "Organization", "name": creator.get("affiliation") or ""}
        if creator.get("ror"):
            org["@id"] = common.ror_url(creator)
        # schema.org's affiliation is a Person's; an organisation is a member of another.
        person["affiliation" if person["@type"] == "Person" else "memberOf"] = org
    return person


def to_dict(
    image_set: ImageSet, *, base: str | None = None, media_types: list[str] | None = None
) -> dict:
    s = image_set
    lic = common.licence(s)
    landing = common.landing_url(s, base)
    data: dict = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": common.cite_as(s, base),
        "url": landing,
        "name": s.title,
        "description": s.description or s.title,
        "identifier": [common.cite_as(s, base), f"urn:uuid:{s.uuid}"],
        "creator": [_person(c) for c in s.creators],
        "publisher": {"@type": "Organization", "name": common.publisher_name()},
        "datePublished": common.publication_date(s).isoformat(),
        "license": lic["url"],
        "isAccessibleForFree": True,
        "conditionsOfAccess": s.get_access_display(),
        "keywords": list(s.keywords)
        + [t["scientific_name"] for t in s.taxa]
        + ([s.platform] if s.platform else []),
        # Google's Dataset guide recommends naming the catalogue that holds the set.
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": common.publisher_name(),
            "url": common.base_url(base),
        },
    }
    if s.created:
        data["dateCreated"] = common.iso(s.created)
    if s.updated:
        data["dateModified"] = common.iso(s.updated)
    if s.version:
        data["version"] = s.version
    if s.taxa:
        data["about"] = [
            {
                "@type": "Taxon",
                "name": t["scientific_name"],
                **({"taxonRank": t["rank"]} if t.get("rank") else {}),
                **(
                    {
                        "@id": common.worms_lsid(t["aphia_id"]),
                        "sameAs": common.worms_url(t["aphia_id"]),
                    }
                    if t.get("aphia_id")
                    else {}
                ),
            }
            for t in s.taxa
        ]
    geo = geo_shape(s)
    if geo:
        data["spatialCoverage"] = {"@type": "Place", "geo": geo}
    if s.time_start or s.time_end:
        data["temporalCoverage"] = (
            f"{common.iso(s.time_start) or '..'}/{common.iso(s.time_end) or '..'}"
        )
    techniques: list = [common.modality_label(s)] if s.modality else []
    if s.instrument_uri:
        techniques.append(defined_term(s.instrument, s.instrument_uri))
    elif s.instrument:
        techniques.append(s.instrument)
    if techniques:
        data["measurementTechnique"] = techniques
    variables = []
    if s.depth_min is not None or s.depth_max is not None:
        variables.append(
            {
                "@type": "PropertyValue",
                "name": "depth",
                "unitText": "m",
                **({"minValue": s.depth_min} if s.depth_min is not None else {}),
                **({"maxValue": s.depth_max} if s.depth_max is not None else {}),
            }
        )
    if s.taxa:
        variables.append({"@type": "PropertyValue", "name": "taxon (WoRMS scientific name)"})
    if variables:
        data["variableMeasured"] = variables
    from catalogue.formats.registry import FORMATS  # noqa: PLC0415 - the registry imports schema_org

    data["distribution"] = [
        {
            "@type": "DataDownload",
            "encodingFormat": FORMATS["datacite.xml"].media_type,
            "contentUrl": common.metadata_url(s, "datacite.xml", base),
        }
    ] + [
        {"@type": "DataDownload", "encodingFormat": media_type, "contentUrl": landing}
        for media_type in (media_types or [])
    ]
    for prop, relations in RELATED.items():
        targets = [
            _related_url(r) for r in s.related_identifiers if r.get("relation_type") in relations
        ]
        if any(targets):
            data[prop] = [t for t in targets if t]
    if s.funding:
        data["funder"] = [_funder(f) for f in s.funding]
        data["funding"] = [
            {
                "@type": "Grant",
                **({"identifier": f["award_number"]} if f.get("award_number") else {}),
                **({"name": f["award_title"]} if f.get("award_title") else {}),
                "funder": _funder(f),
            }
            for f in s.funding
        ]
    return data


def _related_url(related: dict) -> str | None:
    identifier = related.get("identifier", "")
    if related.get("identifier_type") == "DOI":
        return f"{common.DOI_URL}{identifier}"
    return identifier if identifier.startswith(("http://", "https://")) else None


def _funder(funding: dict) -> dict:
    identifier = funding.get("funder_identifier")
    return {
        "@type": "Organization",
        "name": funding.get("funder_name", ""),
        **({"@id": identifier} if identifier else {}),
    }


def defined_term(name: str, uri: str) -> dict:
    """A vocabulary term (an NVS device or platform) as schema.org's DefinedTerm."""
    return {
        "@type": "DefinedTerm",
        "@id": uri,
        "name": name or uri,
        "url": uri,
        "termCode": common.nvs_code(uri),
        "inDefinedTermSet": common.nvs_collection(uri),
    }


def to_json(image_set: ImageSet, *, base: str | None = None, **kwargs) -> str:
    return json.dumps(to_dict(image_set, base=base, **kwargs), ensure_ascii=False, indent=2)


def to_script_tag_json(image_set: ImageSet, *, base: str | None = None) -> str:
    """JSON safe inside <script>: no `</` or `<!--` can close or open anything."""
    text = json.dumps(to_dict(image_set, base=base), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def geo_shape(s) -> dict | None:
    """The set's coverage as a schema.org GeoShape (its polygon, else its box)."""
    if s.polygon:
        ring = geometry.geoshape_polygon(geometry.outer_ring(s.polygon))
        return {"@type": "GeoShape", "polygon": ring}
    if common.has_bbox(s):
        box = geometry.geoshape_box([s.west, s.south, s.east, s.north])
        return {"@type": "GeoShape", "box": box}
    return None
