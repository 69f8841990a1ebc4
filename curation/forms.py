"""Forms of the curator pages. They check the shape of the input (numbers, dates,
rows); the rules of a set are the model's, checked by the services' full_clean,
and its errors are put back next to the fields here (`apply_model_errors`)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, time
from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from aquacat.models import Scope
from catalogue.models import Access, ImageSet, Modality, clean_creator
from catalogue.vocabularies import licence_choices, nvs

# DataCite 4.5 controlled lists.
IDENTIFIER_TYPES = [
    "DOI", "URL", "Handle", "ARK", "arXiv", "bibcode", "IGSN", "ISBN", "ISSN", "EISSN",
    "LSID", "PMID", "PURL", "URN", "w3id",
]  # fmt: skip
RELATION_TYPES = [
    "IsCitedBy", "Cites", "IsSupplementTo", "IsSupplementedBy", "IsContinuedBy", "Continues",
    "IsDescribedBy", "Describes", "HasMetadata", "IsMetadataFor", "HasVersion", "IsVersionOf",
    "IsNewVersionOf", "IsPreviousVersionOf", "IsPartOf", "HasPart", "IsPublishedIn",
    "IsReferencedBy", "References", "IsDocumentedBy", "Documents", "IsCompiledBy", "Compiles",
    "IsVariantFormOf", "IsOriginalFormOf", "IsIdenticalTo", "IsReviewedBy", "Reviews",
    "IsDerivedFrom", "IsSourceOf", "IsRequiredBy", "Requires", "IsObsoletedBy", "Obsoletes",
    "Collects", "IsCollectedBy",
]  # fmt: skip

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

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__({"step": "1", **(attrs or {})}, format=DATETIME_FORMAT)


def split_keywords(text: str) -> list[str]:
    seen: list[str] = []
    for part in re.split(r"[\n;,]", text or ""):
        word = part.strip()
        if word and word not in seen:
            seen.append(word)
    return seen


class TermInput(forms.TextInput):
    """A text input with a <datalist> of the NVS terms its field takes: browsers offer
    them while one types, and any other text stays allowed (older sets have free text)."""

    def __init__(self, kind: nvs.Kind, attrs: dict | None = None):
        self.kind = kind
        self.list_id = f"{kind.label_field}-terms"
        super().__init__(
            {
                "list": self.list_id,
                "autocomplete": "off",
                "data-term-uri": f"id_{kind.uri_field}",
                **(attrs or {}),
            }
        )

    def render(self, name, value, attrs=None, renderer=None):
        options = format_html_join(
            "",
            '<option value="{}" data-uri="{}">{}</option>',
            ((t.label, t.uri, t.identifier) for t in nvs.terms(*self.kind.collections)),
        )
        field = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="{}">{}</datalist>', field, self.list_id, options)


class ImageSetForm(forms.Form):
    title = forms.CharField(max_length=500, required=False)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the images show, how and why they were taken.",
    )
    version = forms.CharField(max_length=50, required=False, help_text="e.g. 1.0")
    licence = forms.ChoiceField(choices=licence_choices, required=False)
    access = forms.ChoiceField(
        choices=Access.choices,
        widget=forms.RadioSelect,
        help_text=(
            "Embargoed sets are hidden until the date; under a files embargo the metadata "
            "is public once published and the images and files open on the date. "
            "Restricted sets are seen only by their owner, curators and staff."
        ),
    )
    embargo_until = forms.DateField(
        required=False,
        label="Embargo until",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Needed for an embargo: the set (or its files) opens on this date.",
    )
    keywords = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Separated by commas or new lines.",
    )
    modality = forms.ChoiceField(choices=[("", "—"), *Modality.choices], required=False)
    west = forms.FloatField(required=False, help_text="Degrees east, -180 to 180 (WGS84).")
    south = forms.FloatField(required=False, help_text="Degrees north, -90 to 90.")
    east = forms.FloatField(
        required=False, help_text="-180 to 180; west greater than east crosses the antimeridian."
    )
    north = forms.FloatField(required=False, help_text="Degrees north, -90 to 90.")
    time_start = forms.DateTimeField(required=False, label="From (UTC)", widget=DateTimeLocal())
    time_end = forms.DateTimeField(required=False, label="To (UTC)", widget=DateTimeLocal())
    depth_min = forms.FloatField(required=False, label="Shallowest (m)", help_text="Positive down.")
    depth_max = forms.FloatField(required=False, label="Deepest (m)", help_text="Positive down.")
    platform = forms.CharField(
        max_length=200,
        required=False,
        widget=TermInput(nvs.PLATFORM),
        help_text="Research vessel, mooring, ROV… Type to choose an NVS platform category "
        "(L06); other text is kept as written.",
    )
    platform_uri = forms.CharField(
        max_length=300,
        required=False,
        label="Platform term (NVS URI)",
        help_text="Filled from the category chosen above; or paste an L06 term URI.",
    )
    instrument = forms.CharField(
        max_length=200,
        required=False,
        widget=TermInput(nvs.INSTRUMENT),
        help_text="FlowCam, UVP6, IFCB… Type to choose an NVS device (L22) or device "
        "category (L05); other text is kept as written.",
    )
    instrument_uri = forms.CharField(
        max_length=300,
        required=False,
        label="Instrument term (NVS URI)",
        help_text="Filled from the device chosen above; or paste an L22 or L05 term URI.",
    )
    research_infrastructure = forms.CharField(max_length=200, required=False)
    station = forms.CharField(
        max_length=64,
        required=False,
        help_text="The station or site code the images come from (e.g. EMSO-OBSEA); sets "
        "sharing a code make one time series.",
    )

    SCALARS = (
        "title", "description", "version", "licence", "access", "embargo_until", "modality",
        "west", "south", "east", "north", "time_start", "time_end", "depth_min", "depth_max",
        "platform", "platform_uri", "instrument", "instrument_uri", "research_infrastructure",
        "station",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_start"].input_formats = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M"]
        self.fields["time_end"].input_formats = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M"]

    @staticmethod
    def initial_from(image_set: ImageSet) -> dict:
        initial = {name: getattr(image_set, name) for name in ImageSetForm.SCALARS}
        for name in ("time_start", "time_end"):
            if initial[name]:
                initial[name] = timezone.localtime(initial[name]).replace(microsecond=0)
        initial["keywords"] = ", ".join(image_set.keywords or [])
        return initial

    def clean_title(self):
        return (self.cleaned_data.get("title") or "").strip()

    def clean(self):
        data = super().clean()
        for kind in nvs.KINDS.values():
            self._clean_term(kind, data)
        return data

    def _clean_term(self, kind: nvs.Kind, data: dict) -> None:
        """The URI checked and made canonical; a label that names an offered term exactly
        brings its URI (a newly chosen term wins over the URI left from before); a URI
        alone brings its label."""
        if kind.uri_field in self.errors or kind.label_field in self.errors:
            return
        label = (data.get(kind.label_field) or "").strip()
        try:
            uri = nvs.check_uri(kind, data.get(kind.uri_field) or "")
            uri = nvs.term_for_label(kind, label) or uri
            label = nvs.fill_label(kind, uri, label)
        except nvs.TermError as error:
            self.add_error(kind.uri_field, str(error))
            return
        data[kind.uri_field] = uri
        data[kind.label_field] = label


class CreatorForm(forms.Form):
    name = forms.CharField(
        max_length=300, required=False, help_text="Family, Given — or an organisation."
    )
    orcid = forms.CharField(
        max_length=60, required=False, label="ORCID iD", help_text="e.g. 0000-0002-1825-0097"
    )
    affiliation = forms.CharField(max_length=300, required=False)
    ror = forms.CharField(
        max_length=60, required=False, label="ROR id", help_text="Of the affiliation: 03yrm5c26"
    )


class TaxonForm(forms.Form):
    scientific_name = forms.CharField(max_length=300, required=False, label="Scientific name")
    aphia_id = forms.IntegerField(
        required=False, min_value=1, label="AphiaID", help_text="WoRMS identifier, digits."
    )


class RelatedForm(forms.Form):
    identifier = forms.CharField(max_length=500, required=False)
    identifier_type = forms.ChoiceField(
        choices=[("", "—"), *[(t, t) for t in IDENTIFIER_TYPES]], required=False, label="Type"
    )
    relation_type = forms.ChoiceField(
        choices=[("", "—"), *[(t, t) for t in RELATION_TYPES]], required=False, label="Relation"
    )

    def clean(self):
        data = super().clean()
        if data.get("identifier"):
            for name in ("identifier_type", "relation_type"):
                if not data.get(name):
                    self.add_error(name, "Choose one for this identifier.")
        elif data.get("identifier_type") or data.get("relation_type"):
            self.add_error("identifier", "Give the identifier, or clear the row.")
        return data


class FundingForm(forms.Form):
    funder_name = forms.CharField(max_length=300, required=False, label="Funder")
    funder_identifier = forms.CharField(
        max_length=300, required=False, label="Funder id", help_text="ROR or Crossref Funder ID"
    )
    award_number = forms.CharField(max_length=100, required=False, label="Award number")
    award_title = forms.CharField(max_length=300, required=False, label="Award title")

    def clean(self):
        data = super().clean()
        award = ("funder_identifier", "award_number", "award_title")
        if any(data.get(k) for k in award) and not data.get("funder_name"):
            self.add_error("funder_name", "Name the funder of this award.")
        return data


class RowFormSet(forms.BaseFormSet):
    """Rows left empty are dropped, not errors."""

    def rows(self) -> list[dict]:
        out = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            row = {k: v for k, v in data.items() if v not in (None, "")}
            if row:
                out.append(row)
        return out

    def add_non_form_error(self, message: str) -> None:
        self.non_form_errors().append(message)


class CreatorFormSet(RowFormSet):
    def clean(self):
        """Each row through the model's own `clean_creator`, its errors at the row's field."""
        position = 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or not any(data.values()):
                continue
            try:
                clean_creator(data, position)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for key, messages in error.message_dict.items():
                        name = "orcid" if key.endswith("orcid") else "ror"
                        if not key.endswith(("orcid", "ror")):
                            name = "name"
                        for message in messages:
                            form.add_error(name, message)
                else:
                    for message in error.messages:
                        form.add_error("name", message)
            position += 1


class TaxonFormSet(RowFormSet):
    def clean(self):
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("aphia_id") and not data.get("scientific_name"):
                form.add_error("scientific_name", "A taxon needs its scientific name.")


def row_formset(
    form: type[forms.Form], formset: type[RowFormSet], max_num: int
) -> type[RowFormSet]:
    """`formset_factory`'s class: a subclass of `formset`, though the stub types it
    as a plain BaseFormSet (too loose), so the cast restores what it is."""
    return cast(
        type[RowFormSet], forms.formset_factory(form, formset=formset, extra=1, max_num=max_num)
    )


CreatorRows = row_formset(CreatorForm, CreatorFormSet, max_num=500)
TaxonRows = row_formset(TaxonForm, TaxonFormSet, max_num=500)
RelatedRows = row_formset(RelatedForm, RowFormSet, max_num=200)
FundingRows = row_formset(FundingForm, RowFormSet, max_num=100)

ROWS: dict[str, tuple[type[RowFormSet], str, str]] = {
    # prefix: (formset class, legend, singular)
    "creators": (CreatorRows, "Creators", "creator"),
    "taxa": (TaxonRows, "Taxa", "taxon"),
    "related": (RelatedRows, "Related identifiers", "related identifier"),
    "funding": (FundingRows, "Funding", "funding reference"),
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


# --- API tokens ------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “laptop upload script”.")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
        help_text="Read: see what you may see. Write: change your drafts and upload. "
        "Publish: publish sets.",
    )
    expires = forms.DateField(
        required=False,
        label="Expires on (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The token stops working at the start of this day (UTC).",
    )

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_expires(self):
        day = self.cleaned_data.get("expires")
        if day is None:
            return None
        moment = datetime.combine(day, time.min, tzinfo=UTC)
        if moment <= timezone.now():
            raise ValidationError("Choose a day after today.")
        return moment


# --- curators of a set -------------------------------------------------------------------


class CuratorsForm(forms.Form):
    usernames = forms.CharField(
        required=False,
        label="Curators",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Usernames, one per line or separated by commas. Curators may edit the "
        "set, upload to it and run models on it; they see it in every state.",
    )

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_usernames(self) -> list:

        names = sorted({n for n in re.split(r"[\s,]+", self.cleaned_data["usernames"]) if n})
        users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names)}
        unknown = [name for name in names if name not in users]
        if unknown:
            raise ValidationError(f"No such user: {', '.join(unknown)}.")
        if self.owner is not None and self.owner.get_username() in users:
            raise ValidationError(f"{self.owner.get_username()} owns the set already.")
        return list(users.values())
