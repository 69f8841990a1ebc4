"""List filters, named as the search parameters (catalogue/search/query.py) where they
apply; several values are ORed, given comma-separated."""

from __future__ import annotations

from datetime import UTC

import django_filters as filters
from django import forms
from django_filters.fields import BaseCSVField
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from catalogue.models import Image, ImageSet, State


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    """ISO 8601 moments, compared in UTC: an offset PostgreSQL cannot hold (beyond
    ±15:59) or a moment outside the representable years is a field error, not a 500."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except (OverflowError, ValueError) as error:
                raise ValidationError({self.field_name: ["is out of range"]}) from error
        return super().filter(qs, value)


class CharInFilter(filters.BaseInFilter, filters.CharFilter):
    pass


LARGEST_ID = 2**63 - 1  # PostgreSQL's bigint


class IdField(forms.IntegerField):
    """A row id: a whole number a database column can hold."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": LARGEST_ID})
class IdInFilter(filters.BaseInFilter, filters.Filter):
    field_class = IdField


def term(field_name: str) -> CharInFilter:
    name = field_name.rsplit("__", 1)[-1]
    return CharInFilter(
        field_name=field_name,
        lookup_expr="in",
        help_text=f"{name}: one value, or several comma-separated (any of them matches)",
    )


class NoEmptyValues(forms.Form):
    """django-filter reads a parameter given empty as no filter at all; the schema
    reads it as a value. Text and lists take it (an empty text, an empty list); a
    date, number, choice, uuid or boolean refuses it, as its schema does."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            empty = name in self.data and self.data.get(name) == ""
            if empty and not isinstance(field, BaseCSVField) and type(field) is not forms.CharField:
                self.add_error(name, "is empty: give a value, or leave the parameter out")
        return cleaned


class ImageSetFilter(filters.FilterSet):
    platform = term("platform")
    instrument = term("instrument")
    modality = term("modality")
    research_infrastructure = term("research_infrastructure")
    licence = term("licence")
    access = term("access")
    station = term("station")
    state = filters.ChoiceFilter(choices=State.choices)
    updated_after = UTCDateTimeFilter(field_name="updated", lookup_expr="gte")
    source = filters.CharFilter(
        method="from_source",
        help_text="`local`: this catalogue's own sets; else a harvest source's name",
    )

    class Meta:
        model = ImageSet
        fields: list[str] = []
        form = NoEmptyValues

    def from_source(self, queryset, name, value):
        # Another catalogue harvesting this one takes its own sets, never its copies.
        if value == "local":
            return queryset.filter(harvest_source__isnull=True)
        return queryset.filter(harvest_source__name=value)


class ImageFilter(filters.FilterSet):
    image_set = IdInFilter(
        field_name="image_set_id", lookup_expr="in", help_text="set id(s), comma-separated"
    )
    platform = term("image_set__platform")
    instrument = term("image_set__instrument")
    modality = term("image_set__modality")
    research_infrastructure = term("image_set__research_infrastructure")
    licence = term("image_set__licence")
    access = term("image_set__access")
    station = term("image_set__station")
    media_type = filters.CharFilter()
    captured_after = UTCDateTimeFilter(field_name="captured_at", lookup_expr="gte")
    captured_before = UTCDateTimeFilter(field_name="captured_at", lookup_expr="lte")

    class Meta:
        model = Image
        fields: list[str] = []
        form = NoEmptyValues
