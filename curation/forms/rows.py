"""The row forms of a set (creators, taxa, related identifiers, funding) and their
formsets, where rows left empty are dropped."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError

from catalogue.models import clean_creator

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
