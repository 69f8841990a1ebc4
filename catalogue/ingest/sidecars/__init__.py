"""Metadata sidecars: files that say where, when and what each image is, read into records.

One module per format (`ecotaxa`, `ifdo` with `ifdo_annotations`, `coco`, `biigle`),
`sniffing` to tell them apart, `records` for what they all return and `stored`
for annotations earlier ingests kept in image fields. Parsers never touch the database, so
ingestion can match their records to images later and they can be tested on
their own. Every rejection is an `IngestError` naming the file and, inside it,
the row or item and the field; anything odd but usable becomes a warning.
"""

from __future__ import annotations

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.biigle import parse_biigle_csv
from catalogue.ingest.sidecars.coco import parse_coco
from catalogue.ingest.sidecars.ecotaxa import parse_ecotaxa_tsv
from catalogue.ingest.sidecars.ifdo import parse_ifdo
from catalogue.ingest.sidecars.ifdo_loading import MAX_IFDO_BYTES
from catalogue.ingest.sidecars.records import (
    BIIGLE_CSV,
    COCO,
    ECOTAXA_TSV,
    IFDO,
    AnnotationRecord,
    ImageMetadata,
    SetMetadata,
    Sidecar,
)
from catalogue.ingest.sidecars.sniffing import sniff_sidecar

__all__ = [
    "BIIGLE_CSV",
    "COCO",
    "ECOTAXA_TSV",
    "IFDO",
    "MAX_IFDO_BYTES",
    "AnnotationRecord",
    "ImageMetadata",
    "SetMetadata",
    "Sidecar",
    "parse_biigle_csv",
    "parse_coco",
    "parse_ecotaxa_tsv",
    "parse_ifdo",
    "parse_sidecar",
    "sniff_sidecar",
]

#: How much of a file `parse_sidecar` shows to `sniff_sidecar`.
SNIFF_BYTES = 64 * 1024


def parse_sidecar(name: str, data: bytes) -> Sidecar:
    """Sniff then parse; the one entry point ingestion needs."""
    kind = sniff_sidecar(name, bytes(data[:SNIFF_BYTES]))
    if kind == ECOTAXA_TSV:
        return parse_ecotaxa_tsv(data, name=name)
    if kind == IFDO:
        return parse_ifdo(data, name=name)
    if kind == COCO:
        return parse_coco(data, name=name)
    if kind == BIIGLE_CSV:
        return parse_biigle_csv(data, name=name)
    raise IngestError(
        name,
        "not a recognised sidecar: expected an EcoTaxa TSV (a header row with img_file_name), "
        "an iFDO YAML/JSON document (with image-set-header), a COCO JSON file (with images) "
        "or a BIIGLE CSV report (with label_name, filename, shape_name, points)",
    )
