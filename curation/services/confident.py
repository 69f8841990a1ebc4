"""Bulk validation of confident predictions: those at or above their class's threshold
on the model card (the confidence at which the class's predictions were at least
95 % precise in cross-validation, inference/evaluation.py), in one review action
with its events and undo, as the review grid's own validate does."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from catalogue.models import ImageSet
from curation.models import Annotation, Status
from curation.services.review import Outcome, review
from inference.models import ModelVersion


def thresholds_of(model_version: ModelVersion) -> dict[str, float]:
    """Label -> the lowest confidence to validate in bulk; classes without one are left
    to the reviewer."""
    found = (model_version.metrics or {}).get("thresholds") or {}
    return {
        label: float(entry["confidence"])
        for label, entry in found.items()
        if isinstance(entry, dict) and isinstance(entry.get("confidence"), int | float)
    }


def confident_predictions(image_set: ImageSet, model_version: ModelVersion) -> QuerySet:
    """The set's still-predicted annotations of this version at or above their class's
    threshold (none when the card gives no threshold)."""
    limits = thresholds_of(model_version)
    if not limits:
        return Annotation.objects.none()
    above = Q()
    for label, confidence in limits.items():
        above |= Q(label__name=label, confidence__gte=confidence)
    return Annotation.objects.filter(
        above,
        image__image_set=image_set,
        model_version=model_version,
        status=Status.PREDICTED,
    )


def validate_confident(image_set: ImageSet, model_version: ModelVersion, *, actor) -> Outcome:
    """Validate them all (the review service checks the actor may review the set and
    locks the rows); nothing to validate changes nothing."""
    rows = dict(confident_predictions(image_set, model_version).values_list("pk", "revision"))
    if not rows:
        return Outcome(changed=0, unchanged=0, events=[])
    return review(actor=actor, ids=list(rows), action="validate", revisions=rows)
