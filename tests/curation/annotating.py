"""Annotation rows for tests, made the way an import makes them."""

from __future__ import annotations

from catalogue.ingest.sidecars import AnnotationRecord
from catalogue.models import Image
from curation.services.imports import import_annotations


def annotate(
    image: Image,
    label: str,
    status: str = "validated",
    *,
    shape: str = "whole",
    coordinates: list | None = None,
    confidence: float | None = None,
):
    """One annotation of `image` (its set's label set made or extended as needed)."""
    record = AnnotationRecord(
        label=label,
        where="test",
        shape=shape,
        coordinates=coordinates or [],
        status=status,
        confidence=confidence,
    )
    [annotation] = import_annotations(
        image_set=image.image_set, sidecar="test", found=[(image, [record])]
    )
    return annotation
