"""Zenodo's domain fields: the Darwin Core (`dwc:`) and Audubon Core (`ac:`)
custom fields Zenodo declares for biodiversity and audiovisual records
(zenodo-rdm, site/zenodo_rdm/custom_fields/domain_fields.py), filled from a
set's taxa, coverage, instrument and imaging modality.

A stock InvenioRDM refuses custom fields it does not declare, so only the
namespaces a target accepts are sent (its `custom_fields` option). Every field
is a list, as Zenodo declares them (`multiple=True`).
"""

from __future__ import annotations

from collections.abc import Iterable

from catalogue.formats.common import landing_url, modality_label, worms_lsid
from catalogue.models import ImageSet

# The images are records made by instruments (Darwin Core's basisOfRecord vocabulary).
BASIS_OF_RECORD = "MachineObservation"
# Darwin Core's higher-classification terms are named for the ranks (WoRMS's, lower case).
RANKS = ("kingdom", "phylum", "class", "order", "family", "genus")
# Family names end so under the zoological code, and the botanical and prokaryote ones.
FAMILY_ENDINGS = ("idae", "aceae")


def add(fields: dict[str, list], term: str, *values) -> None:
    """Append the values not yet there (blank ones skipped), keeping their order."""
    for value in values:
        if value in (None, "") or value in fields.get(term, []):
            continue
        fields.setdefault(term, []).append(value)


def lineage_names(taxon: dict) -> list[tuple[str, str]]:
    """(rank, name) of the taxon's ancestors, kingdom first: a lineage entry is a name
    (its rank unknown, except the first: the kingdom) or {"rank", "name"}."""
    found = []
    for index, entry in enumerate(taxon.get("lineage") or []):
        if isinstance(entry, dict):
            found.append((str(entry.get("rank", "")).lower(), str(entry.get("name", ""))))
        elif isinstance(entry, str):
            found.append(("kingdom" if index == 0 else "", entry))
    return found


def taxon_terms(fields: dict[str, list], taxon: dict) -> None:
    name = str(taxon.get("scientific_name", "")).strip()
    rank = str(taxon.get("rank", "")).strip().lower()
    add(fields, "dwc:scientificName", name)
    if taxon.get("aphia_id"):
        add(fields, "dwc:scientificNameID", worms_lsid(taxon["aphia_id"]))
    add(fields, "dwc:taxonRank", rank)
    for ancestor_rank, ancestor in [*lineage_names(taxon), (rank, name)]:
        if ancestor_rank in RANKS:
            add(fields, f"dwc:{ancestor_rank}", ancestor)
        elif not ancestor_rank and ancestor.lower().endswith(FAMILY_ENDINGS):
            add(fields, "dwc:family", ancestor)
    words = name.split()
    if rank in {"species", "subspecies", "variety", "forma"} and len(words) >= 2:
        add(fields, "dwc:genus", words[0])
        add(fields, "dwc:specificEpithet", words[1])


def event_terms(fields: dict[str, list], image_set: ImageSet) -> None:
    days = sorted(
        {
            (moment.date() if hasattr(moment, "date") else moment).isoformat()
            for moment in (image_set.time_start, image_set.time_end)
            if moment is not None
        }
    )
    if len(days) == 1:
        add(fields, "dwc:eventDate", days[0])
    if days:
        add(fields, "dwc:verbatimEventDate", "/".join(days))
    west, south, east, north = image_set.west, image_set.south, image_set.east, image_set.north
    if west is not None and west == east and south is not None and south == north:
        add(fields, "dwc:decimalLatitude", south)
        add(fields, "dwc:decimalLongitude", west)
        add(fields, "dwc:geodeticDatum", "EPSG:4326")


def darwin_core(image_set: ImageSet) -> dict[str, list]:
    fields: dict[str, list] = {}
    add(fields, "dwc:basisOfRecord", BASIS_OF_RECORD)
    add(fields, "dwc:datasetID", landing_url(image_set))
    for taxon in image_set.taxa:
        taxon_terms(fields, taxon)
    event_terms(fields, image_set)
    if image_set.modality:
        add(fields, "dwc:samplingProtocol", modality_label(image_set))
    return fields


def audubon_core(image_set: ImageSet) -> dict[str, list]:
    fields: dict[str, list] = {}
    add(fields, "ac:captureDevice", image_set.instrument)
    technique = [modality_label(image_set)] if image_set.modality else []
    if image_set.platform:
        technique.append(f"Platform: {image_set.platform}")
    add(fields, "ac:resourceCreationTechnique", *technique)
    return fields


def custom_fields(image_set: ImageSet, namespaces: Iterable[str]) -> dict[str, list]:
    """The set's `custom_fields` in the namespaces given (dwc, ac); others are left out."""
    accepted = set(namespaces)
    fields: dict[str, list] = {}
    if "dwc" in accepted:
        fields.update(darwin_core(image_set))
    if "ac" in accepted:
        fields.update(audubon_core(image_set))
    return fields
