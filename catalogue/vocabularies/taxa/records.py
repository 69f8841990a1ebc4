"""WoRMS answers as Taxon fields."""

from __future__ import annotations

ENVIRONMENTS = (
    ("marine", "isMarine"),
    ("brackish", "isBrackish"),
    ("freshwater", "isFreshwater"),
    ("terrestrial", "isTerrestrial"),
)
#: Biota, the root of every classification: no lineage step.
ROOT = 1


def lineage_of(path: list[dict], aphia_id: int) -> list[dict]:
    """Taxon.lineage from a classification path: kingdom first, ending with the parent."""
    steps = [
        {"aphia_id": step["AphiaID"], "name": step["scientificname"], "rank": step["rank"] or ""}
        for step in path
        if step["AphiaID"] != ROOT
    ]
    ids = [step["aphia_id"] for step in steps]
    return steps[: ids.index(aphia_id)] if aphia_id in ids else steps


def vernacular_list(answer: list[dict]) -> list[dict]:
    seen = set()
    names = []
    for entry in answer:
        key = (entry.get("vernacular") or "", entry.get("language_code") or "")
        if key[0] and key not in seen:
            seen.add(key)
            names.append({"name": key[0], "language": key[1]})
    return names


def taxon_fields(record: dict, lineage: list[dict], vernaculars: list[dict]) -> dict:
    """The Taxon columns of an AphiaRecord (lineage and vernaculars already shaped)."""
    aphia_id = int(record["AphiaID"])
    return {
        "aphia_id": aphia_id,
        "scientific_name": record.get("scientificname") or "",
        "authority": record.get("authority") or "",
        "rank": record.get("rank") or "",
        "status": record.get("status") or "",
        "unaccept_reason": (record.get("unacceptreason") or "")[:300],
        "valid_aphia_id": record.get("valid_AphiaID") or None,
        "valid_name": record.get("valid_name") or "",
        "parent_aphia_id": record.get("parentNameUsageID") or None,
        "lineage": lineage,
        "vernaculars": vernaculars,
        "environments": [name for name, key in ENVIRONMENTS if record.get(key) == 1],
    }


def candidate(record: dict) -> dict:
    """What a curator sees of a WoRMS record offered as an answer."""
    return {
        "aphia_id": record.get("AphiaID"),
        "scientific_name": record.get("scientificname") or "",
        "authority": record.get("authority") or "",
        "rank": record.get("rank") or "",
        "status": record.get("status") or "",
        "valid_aphia_id": record.get("valid_AphiaID"),
        "valid_name": record.get("valid_name") or "",
        "match_type": record.get("match_type") or "",
    }
