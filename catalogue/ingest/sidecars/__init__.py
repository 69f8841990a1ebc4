"""Metadata sidecars: files that say where, when and what each image is, read into records.

One module per format (`ecotaxa`, `ifdo` with `ifdo_annotations`, `coco`, `biigle`, ...),
`sniffing` to tell them apart, `records` for what they all return (and for the shape of
a problem) and `stored` for annotations earlier ingests kept in image fields. Parsers
never touch the database, so ingestion can match their records to images later and they
can be tested on their own. A parser reports every problem of a file at once
(`records.SidecarProblems`, raised as one `SidecarRefused`, an `IngestError`); anything
odd but usable becomes a warning.
"""

from __future__ import annotations

from collections.abc import Callable

from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars.biigle import (
    BIIGLE_METADATA_CSV,
    parse_biigle_csv,
    parse_biigle_metadata_csv,
)
from catalogue.ingest.sidecars.coco import parse_coco
from catalogue.ingest.sidecars.ecotaxa import parse_ecotaxa_tsv
from catalogue.ingest.sidecars.ifdo import parse_ifdo
from catalogue.ingest.sidecars.ifdo_loading import MAX_IFDO_BYTES
from catalogue.ingest.sidecars.records import (
    BIIGLE_CSV,
    COCO,
    ECOTAXA_TSV,
    IFDO,
    PASCAL_VOC,
    AnnotationRecord,
    ImageMetadata,
    SetMetadata,
    Sidecar,
    SidecarProblem,
    SidecarProblems,
    SidecarRefused,
)
from catalogue.ingest.sidecars.sniffing import sniff_sidecar
from catalogue.ingest.sidecars.voc import parse_voc

__all__ = [
    "BIIGLE_CSV",
    "BIIGLE_METADATA_CSV",
    "COCO",
    "ECOTAXA_TSV",
    "IFDO",
    "MAX_IFDO_BYTES",
    "PARSERS",
    "PASCAL_VOC",
    "AnnotationRecord",
    "ImageMetadata",
    "SetMetadata",
    "Sidecar",
    "SidecarProblem",
    "SidecarProblems",
    "SidecarRefused",
    "parse_biigle_csv",
    "parse_biigle_metadata_csv",
    "parse_coco",
    "parse_ecotaxa_tsv",
    "parse_ifdo",
    "parse_sidecar",
    "parse_voc",
    "sniff_sidecar",
]

#: How much of a file `parse_sidecar` shows to `sniff_sidecar`.
SNIFF_BYTES = 64 * 1024

#: The registry: what `sniff_sidecar` answers -> the parser of that format.
PARSERS: dict[str, Callable[..., Sidecar]] = {
    ECOTAXA_TSV: parse_ecotaxa_tsv,
    IFDO: parse_ifdo,
    COCO: parse_coco,
    BIIGLE_CSV: parse_biigle_csv,
    BIIGLE_METADATA_CSV: parse_biigle_metadata_csv,
    PASCAL_VOC: parse_voc,
}


def parse_sidecar(name: str, data: bytes) -> Sidecar:
    """Sniff then parse; the one entry point ingestion needs."""
    parser = PARSERS.get(sniff_sidecar(name, bytes(data[:SNIFF_BYTES])) or "")
    if parser is None:
        raise IngestError(
            name,
            "not a recognised sidecar: expected an EcoTaxa TSV (a header row with "
            "img_file_name), an iFDO YAML/JSON document (with image-set-header), a COCO JSON "
            "file (with images), a BIIGLE CSV report (with label_name, filename, "
            "shape_name, points), a BIIGLE image metadata CSV (filename and lat, lng, "
            "taken_at, ...) or a Pascal VOC XML file (<annotation>)",
        )
    return parser(data, name=name)
