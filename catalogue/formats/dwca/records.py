"""The archive's rows, from the set, its images and their validated annotations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.urls import reverse

from catalogue.formats import annotations as sources
from catalogue.formats import common
from catalogue.formats.dwca import coverage
from catalogue.formats.dwca.tables import (
    AC,
    DC,
    DCTERMS,
    DWC,
    EXIF,
    OBIS,
    XMP,
    XMP_RIGHTS,
    Table,
    emof_table,
    event_table,
    media_table,
    occurrence_table,
)
from catalogue.models import Image, ImageSet, Taxon

#: EcoTaxa's eMoF for the imaging instrument (NVS P01 parameter, P06 "not applicable").
INSTRUMENT_TYPE = "Analytical instrument name"
INSTRUMENT_TYPE_ID = "http://vocab.nerc.ac.uk/collection/P01/current/NMANINST/"
NOT_APPLICABLE_UNIT_ID = "http://vocab.nerc.ac.uk/collection/P06/current/XXXX/"


@dataclass
class Archive:
    events: Table = field(default_factory=event_table)
    occurrences: Table = field(default_factory=occurrence_table)
    media: Table = field(default_factory=media_table)
    measurements: Table = field(default_factory=emof_table)
    #: (rank, name) of every taxon with an occurrence, for the EML's coverage.
    taxa: dict[int, tuple[str, str]] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        tables = [self.events, self.occurrences, self.media]
        return tables + ([self.measurements] if self.measurements.rows else [])


def _taxa(found: sources.SetAnnotations) -> dict[int, Taxon]:
    ids = {c.aphia_id for c in found.categories if c.aphia_id}
    return {t.aphia_id: t for t in Taxon.objects.filter(aphia_id__in=ids)}


def _kingdom(taxon: Taxon | None) -> str:
    if taxon is None:
        return ""
    if taxon.rank.lower() == "kingdom":
        return taxon.scientific_name
    lineage = taxon.lineage or []
    return lineage[0].get("name", "") if lineage and isinstance(lineage[0], dict) else ""


@dataclass(frozen=True)
class Seen:
    """An image as its occurrences need it."""

    image: Image
    event_id: str
    url: str
    concept: str  # the set's concept UUID: the same in every version


def _occurrences(
    archive: Archive, seen: Seen, rows: list[sources.Exported], taxa: dict[int, Taxon]
) -> None:
    """One occurrence per taxon of the image's validated annotations. A label without
    an AphiaID (detritus, bubbles, a blurred object: no taxon) gives no occurrence."""
    by_taxon: dict[int, list[sources.Exported]] = defaultdict(list)
    for row in rows:
        if row.status == "validated" and row.label.aphia_id:
            by_taxon[row.label.aphia_id].append(row)
    for aphia_id, same in sorted(by_taxon.items()):
        taxon = taxa.get(aphia_id)
        name = taxon.scientific_name if taxon else same[0].label.name
        rank = taxon.rank if taxon else ""
        archive.taxa[aphia_id] = (rank, name)
        archive.occurrences.add(
            {
                DWC + "eventID": seen.event_id,
                DWC + "occurrenceID": f"{seen.concept}:{seen.image.sha256}:{aphia_id}",
                # Every record is an image an instrument took (EcoTaxa says the same).
                DWC + "basisOfRecord": "MachineObservation",
                DWC + "occurrenceStatus": "present",
                DWC + "individualCount": len(same),
                DWC + "scientificName": name,
                DWC + "scientificNameID": common.worms_lsid(aphia_id),
                DWC + "scientificNameAuthorship": taxon.authority if taxon else "",
                DWC + "taxonRank": rank.lower(),
                DWC + "kingdom": _kingdom(taxon),
                DWC + "verbatimIdentification": " | ".join(
                    dict.fromkeys(r.label.name for r in same)
                ),
                DWC + "identifiedBy": " | ".join(sorted({r.person for r in same if r.person})),
                DWC + "dateIdentified": coverage.when(max(r.decided for r in same)),
                DWC + "identificationVerificationStatus": "validated",
                DWC + "associatedMedia": seen.url,
                **coverage.image_where(seen.image),
            }
        )


def _media(archive: Archive, s: ImageSet, image: Image, event_id: str, url: str, base) -> None:
    licence = common.licence(s)
    archive.media.add(
        {
            DWC + "eventID": event_id,
            DCTERMS + "identifier": f"{s.concept_uuid}:{image.sha256}",
            DC + "type": "StillImage",
            DCTERMS + "title": image.file_name,
            AC + "accessURI": url,
            DC + "format": image.media_type,
            EXIF + "PixelXDimension": image.width,
            EXIF + "PixelYDimension": image.height,
            XMP + "CreateDate": coverage.when(image.captured_at) if image.captured_at else "",
            AC + "hashFunction": "SHA-256",
            AC + "hashValue": image.sha256,
            AC + "captureDevice": s.instrument,
            DCTERMS + "rights": licence["url"],
            XMP_RIGHTS + "UsageTerms": licence["name"],
            AC + "furtherInformationURL": common.landing_url(s, base),
        }
    )


def build(image_set: ImageSet, *, base: str | None = None) -> Archive:
    s = image_set
    root = common.base_url(base).rstrip("/")
    images = list(s.images.order_by("file_name", "pk"))
    found = sources.read(s)
    taxa = _taxa(found)
    archive = Archive()
    set_event = str(s.concept_uuid)
    common_terms = {DWC + "datasetID": common.cite_as(s, base), DWC + "datasetName": s.title}
    modality = common.modality_label(s)
    protocol = (
        f"{s.instrument} ({modality})" if s.instrument and modality else s.instrument or modality
    )
    archive.events.add(
        {
            DWC + "eventID": set_event,
            **common_terms,
            **coverage.set_span(s, images),
            DWC + "samplingProtocol": protocol,
        }
    )
    samples: dict[str, list[Image]] = defaultdict(list)
    for image in images:
        if name := coverage.sample_name(image):
            samples[name].append(image)
    for name, members in samples.items():
        archive.events.add(
            {
                DWC + "eventID": f"{set_event}:{name}",
                DWC + "parentEventID": set_event,
                **common_terms,
                **coverage.sample_span(members),
                DWC + "fieldNumber": name,
                DWC + "samplingProtocol": protocol,
            }
        )
    for image in images:
        name = coverage.sample_name(image)
        event_id = f"{set_event}:{name}" if name else set_event
        url = root + reverse("catalogue:image-original", kwargs={"pk": image.pk})
        seen = Seen(image, event_id, url, set_event)
        _occurrences(archive, seen, found.by_image.get(image.pk, []), taxa)
        _media(archive, s, image, event_id, url, base)
    if s.instrument:
        archive.measurements.add(
            {
                DWC + "eventID": set_event,
                DWC + "measurementType": INSTRUMENT_TYPE,
                OBIS + "measurementTypeID": INSTRUMENT_TYPE_ID,
                DWC + "measurementValue": s.instrument,
                OBIS + "measurementValueID": s.instrument_uri,
                DWC + "measurementUnit": "Not applicable",
                OBIS + "measurementUnitID": NOT_APPLICABLE_UNIT_ID,
            }
        )
    return archive
