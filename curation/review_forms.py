"""The review grid's filters: which annotations it shows, in which order. The
page reads them from its query string; its script asks the annotations API with
the same keys (GET /api/v1/annotations/)."""

from __future__ import annotations

from typing import cast

from django import forms

from curation.models import Status

ORDERINGS = [
    ("-confidence", "Confidence, highest first"),
    ("confidence", "Confidence, lowest first"),
    ("id", "Oldest first"),
]


class ReviewFilterForm(forms.Form):
    label = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])
    model = forms.ChoiceField(required=False)
    confidence_min = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Confidence from"
    )
    confidence_max = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Confidence to"
    )
    changed = forms.BooleanField(
        required=False, label="Only predictions a newer model version relabelled"
    )
    ordering = forms.ChoiceField(required=False, choices=ORDERINGS, label="Order")

    def __init__(self, data, *, labels: list[dict], models: list[str]):
        super().__init__(data)
        label_field = cast(forms.ChoiceField, self.fields["label"])
        label_field.choices = [("", "Any label")] + [
            (label["id"], label["name"]) for label in labels
        ]
        model_field = cast(forms.ChoiceField, self.fields["model"])
        model_field.choices = [("", "Any model")] + [(name, name) for name in models]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("confidence_min"), cleaned.get("confidence_max")
        if low is not None and high is not None and low > high:
            self.add_error("confidence_max", "must not be below the lower bound")
        return cleaned

    def query(self) -> dict[str, str]:
        """The valid filters as the API's query parameters (invalid ones are left out,
        and shown as errors next to their control)."""
        if not self.is_bound:
            return {"ordering": ORDERINGS[0][0]}
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        query = {
            name: str(cleaned[name])
            for name in self.fields
            if name not in self.errors and cleaned.get(name) not in (None, "", False)
        }
        if cleaned.get("changed"):
            query["changed"] = "true"  # the review queue
        query.setdefault("ordering", ORDERINGS[0][0])
        return query
