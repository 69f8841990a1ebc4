"""What a parsed sidecar holds: plain records, one set of types for every format.

Each format's parser (ecotaxa, ifdo) returns a `Sidecar`; ingestion matches its
`ImageMetadata` to images by file name and its `SetMetadata` to the set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ECOTAXA_TSV = "ecotaxa-tsv"
IFDO = "ifdo"


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


@dataclass
class SetMetadata:
    """What a sidecar says about the whole set (the iFDO header); EcoTaxa gives none."""

    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sidecar:
    """One parsed sidecar: its format, set header, images by file name, warnings."""

    format: str  # ECOTAXA_TSV | IFDO
    set_metadata: SetMetadata
    images: dict[str, ImageMetadata]
    warnings: list[str] = field(default_factory=list)
