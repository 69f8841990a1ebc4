"""What a parsed sidecar holds: plain records, one set of types for every format.

Each format's parser (ecotaxa, ifdo, coco, biigle) returns a `Sidecar`; ingestion matches
its `ImageMetadata` to images by file name and its `SetMetadata` to the set, and
hands each image's `AnnotationRecord`s to the curation app (catalogue.signals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ECOTAXA_TSV = "ecotaxa-tsv"
IFDO = "ifdo"
COCO = "coco"
BIIGLE_CSV = "biigle-csv"
#: The longest label name a label set takes (curation.models.Label.name).
MAX_LABEL_LENGTH = 300


@dataclass
class AnnotationRecord:
    """One label on one image as a sidecar states it, already in the portal's terms:
    a shape and pixel coordinates as curation/geometry.py defines them ("whole",
    "point", "circle", "box", "rotated_box", "polygon", "line") and a review status
    ("predicted", "validated", "dubious"). Whether the geometry fits the image is
    checked when the image is known, by the curation import."""

    label: str
    where: str  # the spot in the sidecar, for messages: "row 4", "item 'a.jpg', annotation 2"
    shape: str = "whole"
    coordinates: list[Any] = field(default_factory=list)
    status: str = "validated"
    confidence: float | None = None
    annotator: str = ""
    created_at: datetime | None = None  # timezone-aware


@dataclass
class ImageMetadata:
    """What a sidecar says about one image file."""

    file_name: str  # as written in the sidecar (relative path or base name), NFC
    captured_at: datetime | None = None  # timezone-aware; UTC when no zone given
    latitude: float | None = None
    longitude: float | None = None
    depth_min: float | None = None  # metres, positive down
    depth_max: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # EcoTaxa: {"category", "status"[, "person", "date"]}; iFDO: image-annotations
    # exactly as given (a list in iFDO v2), hence list as well as dict.
    annotation: dict[str, Any] | list[Any] | None = None
    # The same annotations as records, one per label, for the annotation rows.
    annotations: list[AnnotationRecord] = field(default_factory=list)


@dataclass
class SetMetadata:
    """What a sidecar says about the whole set (the iFDO header); EcoTaxa gives none."""

    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sidecar:
    """One parsed sidecar: its format, set header, images by file name, warnings."""

    format: str  # ECOTAXA_TSV | IFDO | COCO | BIIGLE_CSV
    set_metadata: SetMetadata
    images: dict[str, ImageMetadata]
    warnings: list[str] = field(default_factory=list)
    name: str = ""  # the sidecar's file name, set by parse_sidecar
