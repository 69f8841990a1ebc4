"""Filters of the annotation and label set lists, named as the images list names them
(`image_set=` takes set ids, or uuids, comma-separated). A bulk review by filter
uses the same filters (`annotations_matching`), so the grid and its bulk action
can never select different annotations."""

from __future__ import annotations

from uuid import UUID

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from catalogue.api.filters import IdInFilter, NoEmptyValues
from curation import selectors
from curation.models import Annotation, LabelSet, Status
from curation.services.predictions import changed_by_newer_model
from curation.services.review import MAX_IDS

ORDERINGS = ("id", "-id", "confidence", "-confidence")
SOURCES = {
    "person": Q(model_version__isnull=True, created_by__isnull=False),
    "model": Q(model_version__isnull=False),
    "import": Q(model_version__isnull=True, created_by__isnull=True),
}


class StrictBooleanField(forms.Field):
    """`true` or `false`, as the schema's boolean is written in a query; django-filter's
    own reads `null`, `unknown` and the like as no filter at all."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        if value not in ("true", "false"):
            raise forms.ValidationError("%(value)r is not true or false", params={"value": value})
        return value == "true"


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class SetReferenceField(forms.Field):
    """An image set's id or uuid."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return value
        text = str(value).strip()
        if text.isdigit() and 0 < int(text) < 2**63:
            return int(text)
        try:
            return UUID(text)
        except ValueError as error:
            raise forms.ValidationError(
                "%(value)r is neither a set id nor a set uuid", params={"value": text}
            ) from error


# A set id (1 to 2**63 - 1: nineteen digits at most, checked again when read) or a
# uuid (with or without hyphens), several comma-separated.
SET_REFERENCE = (
    r"(?:[1-9][0-9]{0,17}|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
    r"[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})"
)


@extend_schema_field({"type": "string", "pattern": rf"^{SET_REFERENCE}(?:,{SET_REFERENCE})*$"})
class SetReferencesFilter(filters.BaseInFilter, filters.Filter):
    field_class = SetReferenceField

    def filter(self, qs, value):
        if not value:
            return qs
        ids = [ref for ref in value if isinstance(ref, int)]
        uuids = [ref for ref in value if isinstance(ref, UUID)]
        return qs.filter(Q(image__image_set_id__in=ids) | Q(image__image_set__uuid__in=uuids))


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    pass


@extend_schema_field({"type": "number", "minimum": 0, "maximum": 1})
class ConfidenceFilter(filters.NumberFilter):
    pass


def confidence(lookup: str, what: str) -> filters.NumberFilter:
    return ConfidenceFilter(
        field_name="confidence",
        lookup_expr=lookup,
        min_value=0,
        max_value=1,
        help_text=f"{what} confidence, 0 to 1 (annotations without one are left out)",
    )


class AnnotationFilter(filters.FilterSet):
    image_set = SetReferencesFilter(help_text="set id(s) or uuid(s), comma-separated")
    image = IdInFilter(field_name="image_id", lookup_expr="in", help_text="image id(s)")
    label = IdInFilter(field_name="label_id", lookup_expr="in", help_text="label id(s)")
    status = ChoiceInFilter(
        choices=Status.choices, lookup_expr="in", help_text="status(es), comma-separated"
    )
    source = filters.ChoiceFilter(
        choices=[(kind, kind) for kind in SOURCES],
        method="by_source",
        help_text="who made it: a person, a model, or an import",
    )
    model = filters.CharFilter(
        field_name="model_version__model__name", help_text="the model's name"
    )
    changed = StrictBooleanFilter(
        method="by_change",
        help_text="true: the review queue, predictions whose label a newer model version "
        "changed and nobody reviewed since",
    )
    # Both bounds apply as given: a least confidence above the greatest matches nothing.
    confidence_min = confidence("gte", "least")
    confidence_max = confidence("lte", "greatest")
    # Applied by the list's pagination (curation.selectors.ordered_annotations); a
    # filter here so that it is validated and documented with the others.
    ordering = filters.ChoiceFilter(
        choices=[(name, name) for name in ORDERINGS],
        method="unordered",
        help_text="id (default), -id, confidence, -confidence (unknown confidence lowest)",
    )

    class Meta:
        model = Annotation
        fields: list[str] = []
        form = NoEmptyValues

    def by_source(self, qs, name, value):
        return qs.filter(SOURCES[value])

    def by_change(self, qs, name, value):
        if value is None:
            return qs
        queue = changed_by_newer_model(Annotation.objects.all()).values("pk")
        return qs.filter(pk__in=queue) if value else qs.exclude(pk__in=queue)

    def unordered(self, qs, name, value):
        return qs


class LabelSetFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=LabelSet.State.choices)
    concept = filters.UUIDFilter(
        field_name="concept_uuid", help_text="every version of one label set"
    )

    class Meta:
        model = LabelSet
        fields: list[str] = []
        form = NoEmptyValues


def annotations_matching(user, params: dict) -> QuerySet[Annotation]:
    """The annotations `user` may see that the list's filters `params` select (a bulk
    review by filter); every problem named as filter.<name>, as a 400."""
    problems: dict[str, list[str]] = {}
    data: dict[str, str] = {}
    known = set(AnnotationFilter.base_filters) - {"ordering"}
    for name, value in params.items():
        if name not in known:
            problems[f"filter.{name}"] = [f"not a filter (one of: {', '.join(sorted(known))})"]
        elif isinstance(value, list):
            data[name] = ",".join(str(item) for item in value)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            data[name] = str(value)
        else:
            problems[f"filter.{name}"] = ["a value, or a list of values"]
    if not data.get("image_set"):
        problems.setdefault("filter.image_set", []).append("a review by filter names its set(s)")
    filterset = AnnotationFilter(data=data, queryset=selectors.visible_annotations(user))
    if not filterset.is_valid():
        for name, messages in filterset.errors.items():
            problems.setdefault(f"filter.{name}", []).extend(messages)
    if problems:
        raise ValidationError(problems)
    matching = filterset.qs
    if matching.count() > MAX_IDS:
        raise ValidationError({"filter": [f"matches more than {MAX_IDS} annotations; narrow it"]})
    return matching
