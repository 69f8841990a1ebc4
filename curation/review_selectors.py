"""Reads of the review pages: a set's annotation counts per label and status, the
labels its annotations use, the models that predicted them, an image's
neighbours. The pages find the set or image through catalogue.selectors (access
decided there); these read what belongs to it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import Lower

from catalogue.models import Image, ImageSet
from curation.models import Label, Status
from curation.selectors import annotation_counts
from curation.services.annotations import label_set_of
from curation.services.confident import confident_predictions, thresholds_of
from inference.models import AnalyticsModel, ModelVersion

STATUSES = [choice.value for choice in Status]


@dataclass
class LabelCounts:
    id: int
    name: str
    colour: str
    total: int
    counts: dict[str, int]

    @property
    def cells(self) -> list[tuple[str, int]]:
        return [(status, self.counts.get(status, 0)) for status in STATUSES]


@dataclass
class AnnotationSummary:
    """A set's annotation counts (curation.selectors.annotation_counts) in the order
    the pages show them: per label, then per status."""

    labels: list[LabelCounts]
    totals: dict[str, int]
    total: int
    validated_fraction: float

    @property
    def status_cells(self) -> list[tuple[str, str, int]]:
        return [(status, Status(status).label, self.totals.get(status, 0)) for status in STATUSES]

    @property
    def validated_percent(self) -> int | None:
        """The validated share as a whole percentage, rounded down (None: no annotations)."""
        return int(100 * self.validated_fraction) if self.total else None


def annotation_summary(image_set: ImageSet) -> AnnotationSummary:
    counts = annotation_counts(image_set)
    labels = [
        LabelCounts(
            id=row["label"],
            name=row["name"],
            colour=row["colour"],
            total=row["total"],
            counts=row["by_status"],
        )
        for row in counts["by_label"]
    ]
    return AnnotationSummary(
        labels=labels,
        totals=counts["by_status"],
        total=counts["total"],
        validated_fraction=counts["validated_fraction"],
    )


def labels_of(image_set: ImageSet) -> list[dict]:
    """The labels of the set's label set (none before it has one), for type-ahead
    and shortcut keys; retired labels are marked, as they take no new annotations."""
    label_set = label_set_of(image_set)
    if label_set is None:
        return []
    rows = (
        Label.objects.filter(label_set=label_set)
        .order_by(Lower("name"), "pk")
        .values("id", "name", "colour", "shortcut", "retired")
    )
    return [dict(row) for row in rows]


def model_names(image_set: ImageSet) -> list[str]:
    """The models whose versions predicted annotations of the set."""
    return list(
        AnalyticsModel.objects.filter(versions__annotations__image__image_set=image_set)
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )


def neighbours(image: Image) -> tuple[int | None, int | None]:
    """The previous and next image of the same set, in the order they were added."""
    siblings = Image.objects.filter(image_set_id=image.image_set_id)
    before = siblings.filter(pk__lt=image.pk).order_by("-pk").values_list("pk", flat=True).first()
    after = siblings.filter(pk__gt=image.pk).order_by("pk").values_list("pk", flat=True).first()
    return before, after


def confident_offers(image_set: ImageSet) -> list[dict]:
    """Per model version with predictions in the set and thresholds on its card: how
    many predictions reach their class's threshold, per class, to validate in bulk."""
    versions = (
        ModelVersion.objects.filter(
            annotations__image__image_set=image_set, annotations__status=Status.PREDICTED
        )
        .distinct()
        .select_related("model")
    )
    offers = []
    for version in versions:
        limits = thresholds_of(version)
        if not limits:
            continue
        per_label = dict(
            confident_predictions(image_set, version)
            .values_list("label__name")
            .annotate(n=Count("pk"))
            .values_list("label__name", "n")
        )
        total = sum(per_label.values())
        if total:
            offers.append(
                {
                    "version": version,
                    "count": total,
                    "classes": [
                        {"label": label, "count": per_label[label], "confidence": limits[label]}
                        for label in sorted(per_label)
                    ],
                    "target": (version.metrics or {})
                    .get("cross_validation", {})
                    .get("threshold_target_precision", 0.95),
                }
            )
    return offers
