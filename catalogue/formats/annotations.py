"""The annotations the image-level formats (COCO, YOLO, EcoTaxa TSV, iFDO) write.

Annotation rows live in the curation app, which the catalogue does not import:
curation registers its reader here once the apps are ready (curation/apps.py),
as it connects to catalogue.signals. Rejected annotations are left out (they
are no label of the image). An image whose annotation rows are still exactly
what its sidecar said (none changed, none added) is written from the sidecar
annotation kept in its fields, word for word, so an export ingested again gives
the same image metadata; so is every image when no reader is registered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from catalogue.models import ImageSet


@dataclass(frozen=True)
class Category:
    """A label of the set's label set."""

    id: int
    name: str
    parent: str = ""
    aphia_id: int | None = None


@dataclass(frozen=True)
class Exported:
    """One annotation as the formats need it; pixel coordinates after EXIF
    orientation, as curation/geometry.py defines them per shape."""

    image_id: int
    label: Category
    shape: str
    coordinates: list
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 around it, within the image
    outline: list[tuple[float, float]] | None  # the area's outline; None for other shapes
    area: float
    status: str
    confidence: float | None
    made_by: str  # a person's name, a model version, or the name an import gave
    made: datetime
    reviewed_by: str  # "" when no person reviewed it in the portal
    reviewed: datetime | None
    as_imported: bool  # unchanged since a sidecar brought it

    @property
    def person(self) -> str:
        """Who decided the label last."""
        return self.reviewed_by or self.made_by

    @property
    def decided(self) -> datetime:
        return self.reviewed or self.made


class ImageRow(Protocol):
    """What `SetAnnotations.of` reads of an image: an Image, or a row of its values."""

    @property
    def pk(self) -> int: ...

    @property
    def fields(self) -> dict: ...


@dataclass
class SetAnnotations:
    label_set: str = ""  # "name vN", "" when the set has none
    categories: list[Category] = field(default_factory=list)
    by_image: dict[int, list[Exported]] = field(default_factory=dict)

    def of(self, image: ImageRow, form: type | None = None) -> list[Exported] | None:
        """The image's annotation rows to write, or None: write its sidecar
        annotation. `form` (dict: EcoTaxa's, list: iFDO's) is the sidecar form the
        writer can copy; another form is written from the rows."""
        rows = self.by_image.get(image.pk)
        if not rows:
            return None
        kept = (image.fields or {}).get("annotation")
        if form is not None and not isinstance(kept, form):
            return rows
        sidecar = sidecar_labels(image.fields)
        unchanged = sidecar and all(row.as_imported for row in rows)
        if unchanged and Counter(row.label.name for row in rows) == Counter(sidecar):
            return None
        return rows


Reader = Callable[[ImageSet], SetAnnotations]
_readers: list[Reader] = []


def register(reader: Reader) -> None:
    """Called by the app that keeps annotations, once apps are ready."""
    if reader not in _readers:
        _readers.append(reader)


def read(image_set: ImageSet) -> SetAnnotations:
    return _readers[-1](image_set) if _readers else SetAnnotations()


def sidecar_labels(fields: dict | None) -> list[str]:
    """Label names of the sidecar annotation kept in an image's fields: an EcoTaxa
    category, or the labels of iFDO image-annotations."""
    annotation = (fields or {}).get("annotation")
    if isinstance(annotation, dict):
        category = annotation.get("category")
        return [category] if isinstance(category, str) and category else []
    names: list[str] = []
    for entry in annotation if isinstance(annotation, list) else []:
        labels = entry.get("labels") if isinstance(entry, dict) else None
        for label in labels if isinstance(labels, list) else []:
            name = label.get("label") if isinstance(label, dict) else None
            if isinstance(name, str) and name:
                names.append(name)
    return names
