"""Instruments, platforms and device categories from the NERC Vocabulary Server (NVS):
L22 devices, L05 device categories, L06 platform categories, bundled (README.md)."""

from catalogue.vocabularies.nvs.checks import (
    INSTRUMENT,
    KINDS,
    PLATFORM,
    Kind,
    TermError,
    check_uri,
    fill_label,
    term_for_label,
)
from catalogue.vocabularies.nvs.lookups import (
    Term,
    broader,
    canonical_uri,
    collection_of,
    collections,
    label,
    normalise_uri,
    parse_uri,
    search,
    source,
    term,
    terms,
)

__all__ = [
    "INSTRUMENT",
    "KINDS",
    "PLATFORM",
    "Kind",
    "Term",
    "TermError",
    "broader",
    "canonical_uri",
    "check_uri",
    "collection_of",
    "collections",
    "fill_label",
    "label",
    "normalise_uri",
    "parse_uri",
    "search",
    "source",
    "term",
    "term_for_label",
    "terms",
]
