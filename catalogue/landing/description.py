"""What a set is, as its landing page shows it: access, creators, taxa, descriptive
facts and the identifiers it relates to (its other versions first)."""

from __future__ import annotations

import re
from urllib.parse import quote

from catalogue import access
from catalogue.formats import common
from catalogue.models import EMBARGOES, ImageSet

#: Related identifiers that say which version a set is of another.
VERSION_RELATIONS = (
    "IsNewVersionOf",
    "IsPreviousVersionOf",
    "HasVersion",
    "IsVersionOf",
    "IsIdenticalTo",
    "IsDescribedBy",
    "Describes",
)

#: Resolvers of identifier types that have one (the identifier is appended, quoted).
RESOLVERS = {
    "DOI": "https://doi.org/",
    "HANDLE": "https://hdl.handle.net/",
    "ARK": "https://n2t.net/",
    "ARXIV": "https://arxiv.org/abs/",
    "PURL": "",
    "URL": "",
    "W3ID": "",
}


def access_status(image_set: ImageSet) -> dict:
    if image_set.access in EMBARGOES:
        if access.files_public(image_set):
            return {
                "kind": "open",
                "label": "Open (embargo ended)",
                "until": image_set.embargo_until,
            }
        return {
            "kind": image_set.access,
            "label": image_set.get_access_display(),
            "until": image_set.embargo_until,
        }
    return {"kind": image_set.access, "label": image_set.get_access_display(), "until": None}


def creators(image_set: ImageSet) -> list[dict]:
    return [
        {
            "name": creator["name"],
            "orcid": creator.get("orcid"),
            "orcid_url": common.orcid_url(creator),
            "affiliation": creator.get("affiliation"),
            "ror_url": common.ror_url(creator),
        }
        for creator in image_set.creators or []
        if isinstance(creator, dict) and creator.get("name")
    ]


def taxa(image_set: ImageSet) -> list[dict]:
    out = []
    for taxon in image_set.taxa or []:
        if not isinstance(taxon, dict) or not taxon.get("scientific_name"):
            continue
        aphia = str(taxon.get("aphia_id") or "")
        out.append(
            {
                "name": taxon["scientific_name"],
                "rank": taxon.get("rank") or "",
                "aphia_id": aphia if aphia.isdigit() else "",
                "worms_url": common.worms_url(aphia) if aphia.isdigit() else None,
            }
        )
    return out


def facts(image_set: ImageSet) -> list[tuple[str, str]]:
    """(label, value) of the descriptive fields the set states."""
    rows = [
        ("Instrument", image_set.instrument),
        ("Platform", image_set.platform),
        ("Imaging modality", common.modality_label(image_set)),
        ("Research infrastructure", image_set.research_infrastructure),
    ]
    return [(label, value) for label, value in rows if value]


def relation_label(relation: str) -> str:
    """ "IsNewVersionOf" -> "Is new version of"."""
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", relation or "")
    return " ".join(words).capitalize() if words else "Related to"


def identifier_url(identifier: str, identifier_type: str) -> str | None:
    """A link for an identifier, only ever http(s): never a javascript: or data: URL."""
    identifier = (identifier or "").strip()
    kind = (identifier_type or "").upper()
    if identifier.lower().startswith(("https://", "http://")):
        return identifier
    if kind == "DOI":
        identifier = re.sub(r"^(doi:)", "", identifier, flags=re.I)
    prefix = RESOLVERS.get(kind)
    if prefix:
        return prefix + quote(identifier, safe="/:.-_~;()")
    return None


def related_identifiers(image_set: ImageSet) -> list[dict]:
    """Versions first (new/previous version, described by), then the other relations."""
    out = []
    for entry in image_set.related_identifiers or []:
        if not isinstance(entry, dict) or not entry.get("identifier"):
            continue
        relation = str(entry.get("relation_type") or "")
        out.append(
            {
                "relation": relation,
                "label": relation_label(relation),
                "identifier": str(entry["identifier"]),
                "type": str(entry.get("identifier_type") or ""),
                "url": identifier_url(str(entry["identifier"]), str(entry.get("identifier_type"))),
                "is_version": relation in VERSION_RELATIONS,
            }
        )
    out.sort(
        key=lambda r: (
            not r["is_version"],
            VERSION_RELATIONS.index(r["relation"]) if r["is_version"] else 0,
        )
    )
    return out
