"""The set editor: the main form and its row formsets bound together, turned into model
fields, with the model's errors put back next to the fields they are about."""

from __future__ import annotations

import copy
from datetime import datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from catalogue.models import ImageSet
from curation.forms.rows import ROWS
from curation.forms.set_form import ImageSetForm
from curation.forms.widgets import split_keywords

# A CheckConstraint's error names the constraint, not a field: which field to show it at.
CONSTRAINT_FIELDS = {
    "imageset_south_range": ("south", "South must be between -90 and 90."),
    "imageset_north_range": ("north", "North must be between -90 and 90."),
    "imageset_west_range": ("west", "West must be between -180 and 180."),
    "imageset_east_range": ("east", "East must be between -180 and 180."),
    "imageset_south_le_north": ("north", "North must not be south of south."),
    "imageset_time_order": ("time_end", "The end must not be before the start."),
    "imageset_depth_order": ("depth_max", "The deepest depth must not be above the shallowest."),
    "imageset_embargo_has_date": ("embargo_until", "An embargoed set needs its end date."),
}


class SetEditor:
    """The main form and its row formsets, bound together; turns them into model fields."""

    def __init__(self, data=None, image_set: ImageSet | None = None, creator: dict | None = None):
        """`creator`: the first creator row of a new set (the curator, as sign-in knows them)."""
        self.image_set = image_set
        initial = ImageSetForm.initial_from(image_set) if image_set else {"access": "open"}
        if image_set is None:
            initial["licence"] = "CC-BY-4.0"
        self.form = ImageSetForm(data, initial=initial)
        rows = {
            "creators": [
                {k: c.get(k, "") for k in ("name", "orcid", "affiliation", "ror")}
                for c in (image_set.creators if image_set else [creator] if creator else [])
            ],
            "taxa": [
                {"scientific_name": t.get("scientific_name", ""), "aphia_id": t.get("aphia_id")}
                for t in (image_set.taxa if image_set else [])
            ],
            "related": list(image_set.related_identifiers) if image_set else [],
            "funding": list(image_set.funding) if image_set else [],
        }
        self.formsets = {
            prefix: cls(data, prefix=prefix, initial=rows[prefix])
            for prefix, (cls, _legend, _one) in ROWS.items()
        }

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for fs in self.formsets.values():
            valid = fs.is_valid() and valid
        if not valid:
            self._check_the_rest()
        return valid

    def _check_the_rest(self) -> None:
        """With some input unreadable, still show what the model says about the rest, so
        that one round shows every problem. Validation only: nothing is saved."""
        bad = set(self.form.errors) - {NON_FIELD_ERRORS}
        for prefix, fs in self.formsets.items():
            if fs.total_error_count():
                bad.add({"related": "related_identifiers"}.get(prefix, prefix))
        instance = copy.copy(self.image_set) if self.image_set else ImageSet()
        for name, value in self.model_fields().items():
            if name not in bad:
                setattr(instance, name, value)
        try:
            instance.full_clean(exclude=bad | {"owner"})
        except ValidationError as error:
            self.apply_model_errors(error)

    def model_fields(self) -> dict:
        data = self.form.cleaned_data
        fields = {name: data.get(name) for name in ImageSetForm.SCALARS}
        for name in (
            "title", "description", "version", "licence", "modality", "platform",
            "platform_uri", "instrument_uri",
        ):  # fmt: skip
            fields[name] = fields[name] or ""
        for name in ("instrument", "research_infrastructure", "station"):
            fields[name] = (fields[name] or "").strip()
        fields["keywords"] = split_keywords(data.get("keywords", ""))
        fields["creators"] = self.formsets["creators"].rows()
        fields["taxa"] = self._taxa(self.formsets["taxa"].rows())
        fields["related_identifiers"] = self.formsets["related"].rows()
        fields["funding"] = self.formsets["funding"].rows()
        return fields

    def _taxa(self, rows: list[dict]) -> list[dict]:
        """Rows as taxa, keeping what enrichment added (rank, lineage) to unchanged ones."""
        before = {
            (t.get("scientific_name"), str(t.get("aphia_id") or "")): t
            for t in (self.image_set.taxa if self.image_set else [])
            if isinstance(t, dict)
        }
        out = []
        for row in rows:
            key = (row.get("scientific_name"), str(row.get("aphia_id") or ""))
            out.append({**before.get(key, {}), **row})
        return out

    def changed_fields(self) -> dict:
        """Only what differs from the set, so unchanged derived coverage stays derived."""
        fields = self.model_fields()
        if self.image_set is None:
            return fields
        return {
            name: value
            for name, value in fields.items()
            if _differs(getattr(self.image_set, name), value)
        }

    def apply_model_errors(self, error: ValidationError) -> None:
        """Put the errors of the model's full_clean next to the fields they are about."""
        messages = error.message_dict if hasattr(error, "error_dict") else {}
        if not hasattr(error, "error_dict"):
            messages = {NON_FIELD_ERRORS: error.messages}
        for key, values in messages.items():
            for message in dict.fromkeys(values):
                if key in self.form.fields:
                    self._add(key, message)
                elif key == "creators":
                    self.formsets["creators"].add_non_form_error(message)
                elif key == "taxa":
                    self.formsets["taxa"].add_non_form_error(message)
                elif key == "related_identifiers":
                    self.formsets["related"].add_non_form_error(message)
                elif key == "funding":
                    self.formsets["funding"].add_non_form_error(message)
                elif key == NON_FIELD_ERRORS:
                    for constraint, (name, text) in CONSTRAINT_FIELDS.items():
                        if constraint in message:
                            self._add(name, text)
                            break
                    else:
                        self.form.add_error(None, message)
                else:
                    self.form.add_error(None, f"{key}: {message}")

    def _add(self, name: str, message: str) -> None:
        if message not in self.form.errors.get(name, []):
            self.form.add_error(name, message)

    # --- what the template needs ---------------------------------------------------------

    def error_summary(self) -> list[dict]:
        """Every error, with the id of the control it is about, in page order."""
        out = []
        for message in self.form.non_field_errors():
            out.append({"href": "#set-form", "label": "", "message": message})
        for name in self.form.fields:
            bound = self.form[name]
            for message in bound.errors:
                href = f"#{bound.id_for_label or bound.auto_id}"
                out.append({"href": href, "label": bound.label, "message": message})
            if name == "description":
                out += self._formset_summary("creators")
            if name == "keywords":
                out += self._formset_summary("taxa")
        out += self._formset_summary("related")
        out += self._formset_summary("funding")
        return out

    def _formset_summary(self, prefix: str) -> list[dict]:
        fs = self.formsets[prefix]
        _cls, legend, one = ROWS[prefix]
        out = [{"href": f"#{prefix}", "label": legend, "message": m} for m in fs.non_form_errors()]
        for index, form in enumerate(fs.forms):
            for name, errors in form.errors.items():
                if name == NON_FIELD_ERRORS:
                    continue
                bound = form[name]
                for message in errors:
                    out.append(
                        {
                            "href": f"#{bound.id_for_label}",
                            "label": f"{one.capitalize()} {index + 1}, {bound.label}",
                            "message": message,
                        }
                    )
        return out

    def mark_invalid(self) -> None:
        """aria-invalid and aria-describedby (help and error texts) on every control."""
        forms_ = [self.form, *(f for fs in self.formsets.values() for f in fs.forms)]
        for form in forms_:
            for name, field in form.fields.items():
                bound = form[name]
                ids = []
                if field.help_text:
                    ids.append(f"{bound.auto_id}_helptext")
                if bound.errors:
                    ids.append(f"{bound.auto_id}-error")
                    field.widget.attrs["aria-invalid"] = "true"
                if ids and not isinstance(field.widget, forms.RadioSelect):
                    field.widget.attrs["aria-describedby"] = " ".join(ids)


def _differs(current, new) -> bool:
    if isinstance(current, datetime) and isinstance(new, datetime):
        return current.replace(microsecond=0) != new.replace(microsecond=0)
    if current in (None, "") and new in (None, ""):
        return False
    return current != new
