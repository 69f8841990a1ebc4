"""A set's metadata in InvenioRDM's record schema (v14, as Zenodo takes it).

Pure mapping, no HTTP: what the instance knows (its relation types, which ROR
ids its affiliation and funder vocabularies hold, which custom-field namespaces
it accepts) is passed in by the target. Vocabulary ids are sent only when the
instance has them (an unknown id is refused); otherwise the name goes as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from catalogue import access
from catalogue.formats.common import landing_url, modality_label, publisher_name, split_name
from catalogue.models import Access, ImageSet
from catalogue.vocabularies import normalise_ror
from curation.repositories.invenio_domain import custom_fields

# (vocabulary, id) -> whether the instance's vocabulary has that entry.
Knows = Callable[[str, str], bool]

# DataCite relatedIdentifierType -> InvenioRDM scheme (idutils names).
SCHEMES = {
    "ARK": "ark",
    "arXiv": "arxiv",
    "bibcode": "ads",
    "DOI": "doi",
    "EAN13": "ean13",
    "EISSN": "issn",
    "Handle": "handle",
    "IGSN": "igsn",
    "ISBN": "isbn",
    "ISSN": "issn",
    "ISTC": "istc",
    "LISSN": "issn",
    "LSID": "lsid",
    "PMID": "pmid",
    "PURL": "purl",
    "UPC": "upc",
    "URL": "url",
    "URN": "urn",
    "w3id": "w3id",
}


def licence_id(spdx: str) -> str:
    """InvenioRDM's licence vocabulary ids are the SPDX ids in lower case."""
    return spdx.strip().lower()


def uuid_identifier(image_set: ImageSet) -> str:
    return f"urn:uuid:{image_set.uuid}"


def ror_of(value: str) -> str:
    """The bare ROR id in `value` (an id or a ror.org URL), or "" when it holds none."""
    try:
        return normalise_ror(value) if value else ""
    except ValidationError:
        return ""


def creator(entry: dict, knows: Knows) -> dict:
    name = entry.get("name", "").strip()
    given, family = split_name(name)
    person_or_org: dict[str, Any]
    if family or entry.get("orcid"):
        person_or_org = {"type": "personal", "family_name": family or name}
        if given:
            person_or_org["given_name"] = given
        if entry.get("orcid"):
            person_or_org["identifiers"] = [{"scheme": "orcid", "identifier": entry["orcid"]}]
    else:
        person_or_org = {"type": "organizational", "name": name}
    out: dict[str, Any] = {"person_or_org": person_or_org}
    ror = ror_of(entry.get("ror", ""))
    if ror and knows("affiliations", ror):
        out["affiliations"] = [{"id": ror}]
    elif entry.get("affiliation"):
        out["affiliations"] = [{"name": entry["affiliation"]}]
    return out


def funding(image_set: ImageSet, knows: Knows) -> list[dict]:
    """InvenioRDM's `metadata.funding`: the funder by its ROR id when the instance
    has it (else by name), the award by number and title."""
    found = []
    for entry in image_set.funding:
        item: dict[str, Any] = {}
        ror = ror_of(entry.get("funder_identifier", ""))
        if ror and knows("funders", ror):
            item["funder"] = {"id": ror}
        elif entry.get("funder_name"):
            item["funder"] = {"name": entry["funder_name"]}
        award: dict[str, Any] = {}
        if entry.get("award_number"):
            award["number"] = entry["award_number"]
        if entry.get("award_title"):
            award["title"] = {"en": entry["award_title"]}
        if entry.get("award_uri"):
            award["identifiers"] = [{"scheme": "url", "identifier": entry["award_uri"]}]
        if award.get("number") or award.get("title"):
            item["award"] = award
        if item:
            found.append(item)
    return found


def subjects(image_set: ImageSet) -> list[dict]:
    """Keywords, taxon names and the imaging modality as free subjects (InvenioRDM's
    free subjects carry no id: WoRMS ids go in Darwin Core's scientificNameID)."""
    names = [str(keyword) for keyword in image_set.keywords]
    names += [taxon["scientific_name"] for taxon in image_set.taxa if taxon.get("scientific_name")]
    if image_set.modality:
        names.append(modality_label(image_set))
    return [{"subject": name} for name in dict.fromkeys(names)]


def related(image_set: ImageSet, relation_types: set[str]) -> list[dict]:
    relations = [
        {
            "identifier": landing_url(image_set),
            "scheme": "url",
            "relation_type": {"id": "isidenticalto"},
        }
    ]
    for relation in image_set.related_identifiers:
        scheme = SCHEMES.get(relation.get("identifier_type", ""))
        relation_type = str(relation.get("relation_type", "")).lower()
        if scheme and relation_type in relation_types and relation.get("identifier"):
            relations.append(
                {
                    "identifier": relation["identifier"],
                    "scheme": scheme,
                    "relation_type": {"id": relation_type},
                }
            )
    return relations


def collected(image_set: ImageSet) -> str:
    days = [
        moment.date() if hasattr(moment, "date") else moment
        for moment in (image_set.time_start, image_set.time_end)
        if moment is not None
    ]
    if not days:
        return ""
    first, last = min(days), max(days)
    return first.isoformat() if first == last else f"{first.isoformat()}/{last.isoformat()}"


def geometry(image_set: ImageSet) -> dict | None:
    west, south, east, north = image_set.west, image_set.south, image_set.east, image_set.north
    if west is None or south is None or east is None or north is None or west > east:
        return None
    if west == east and south == north:
        return {"type": "Point", "coordinates": [west, south]}
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def depth(image_set: ImageSet) -> str:
    low, high = image_set.depth_min, image_set.depth_max
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        return f"Depth {low if low is not None else high:g} m"
    return f"Depth {low:g} to {high:g} m"


def location(image_set: ImageSet) -> dict | None:
    feature = {"geometry": geometry(image_set), "description": depth(image_set)}
    feature = {name: value for name, value in feature.items() if value}
    return {"features": [feature]} if feature else None


def record_body(
    image_set: ImageSet,
    *,
    relation_types: set[str],
    knows: Knows,
    namespaces: Iterable[str] = (),
) -> dict:
    """The draft InvenioRDM takes for the set (`namespaces`: the custom-field
    namespaces the instance accepts, e.g. dwc and ac on Zenodo)."""
    metadata: dict[str, Any] = {
        "resource_type": {"id": "dataset"},
        "title": image_set.title,
        "publication_date": timezone.localdate().isoformat(),
        "publisher": publisher_name(),
        "creators": [creator(entry, knows) for entry in image_set.creators],
        "rights": [{"id": licence_id(image_set.licence)}],
        "identifiers": [{"scheme": "urn", "identifier": uuid_identifier(image_set)}],
        "related_identifiers": related(image_set, relation_types),
    }
    optional = {
        "description": image_set.description,
        "subjects": subjects(image_set),
        "version": image_set.version,
        "dates": [{"date": collected(image_set), "type": {"id": "collected"}}]
        if collected(image_set)
        else None,
        "locations": location(image_set),
        "funding": funding(image_set, knows),
    }
    metadata.update({name: value for name, value in optional.items() if value})
    body: dict[str, Any] = {
        "access": record_access(image_set),
        "files": {"enabled": True},
        "metadata": metadata,
        "pids": {},
    }
    fields = custom_fields(image_set, namespaces)
    if fields:
        body["custom_fields"] = fields
    return body


def record_access(image_set: ImageSet) -> dict:
    """InvenioRDM's access block: public metadata, and files public or, as Zenodo
    embargoes, restricted until the date (InvenioRDM wants that date in the future)."""
    if image_set.access == Access.FILES_EMBARGOED and not access.files_open(image_set):
        assert image_set.embargo_until is not None  # the model requires it
        return {
            "record": "public",
            "files": "restricted",
            "embargo": {
                "active": True,
                "until": image_set.embargo_until.isoformat(),
                "reason": "The files are under embargo until this date.",
            },
        }
    return {"record": "public", "files": "public"}
