"""Forms of the curator pages. They check the shape of the input (numbers, dates,
rows); the rules of a set are the model's, checked by the services' full_clean,
and its errors are put back next to the fields here (`apply_model_errors`).

This package re-exports every form of its modules: the widgets, the set form, the
row forms and formsets, the set editor, and the account forms (tokens, curators).
"""

from __future__ import annotations

from curation.forms.accounts import CuratorsForm, TokenForm
from curation.forms.editor import CONSTRAINT_FIELDS, SetEditor
from curation.forms.editor import _differs as _differs
from curation.forms.rows import (
    IDENTIFIER_TYPES,
    RELATION_TYPES,
    ROWS,
    CreatorForm,
    CreatorFormSet,
    CreatorRows,
    FundingForm,
    FundingRows,
    RelatedForm,
    RelatedRows,
    RowFormSet,
    TaxonForm,
    TaxonFormSet,
    TaxonRows,
    row_formset,
)
from curation.forms.set_form import ImageSetForm
from curation.forms.widgets import DATETIME_FORMAT, DateTimeLocal, TermInput, split_keywords

__all__ = [
    "CONSTRAINT_FIELDS",
    "DATETIME_FORMAT",
    "IDENTIFIER_TYPES",
    "RELATION_TYPES",
    "ROWS",
    "CreatorForm",
    "CreatorFormSet",
    "CreatorRows",
    "CuratorsForm",
    "DateTimeLocal",
    "FundingForm",
    "FundingRows",
    "ImageSetForm",
    "RelatedForm",
    "RelatedRows",
    "RowFormSet",
    "SetEditor",
    "TaxonForm",
    "TaxonFormSet",
    "TaxonRows",
    "TermInput",
    "TokenForm",
    "row_formset",
    "split_keywords",
]
