"""Which NVS terms an image set's instrument and platform may take, checked the same
way by the API serializer and the curator's form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from catalogue.vocabularies.nvs.lookups import (
    collections,
    normalise_uri,
    parse_uri,
    term,
    terms,
)


@dataclass(frozen=True)
class Kind:
    """A field that takes NVS terms: its label field, URI field and allowed collections."""

    label_field: str
    uri_field: str
    collections: tuple[str, ...]
    wanted: str


INSTRUMENT = Kind(
    "instrument", "instrument_uri", ("L22", "L05"), "a device (L22) or a device category (L05)"
)
PLATFORM = Kind("platform", "platform_uri", ("L06",), "a platform category (L06)")
L22_CODE_RE = re.compile(r"^TOOL\d{4}$")
KINDS = {"instrument": INSTRUMENT, "platform": PLATFORM}


class TermError(ValueError):
    """A URI the field cannot take; the message says why, for the field's error list."""


def _collection_name(collection: str) -> str:
    known = collections().get(collection)
    return f"{collection} ({known['title']})" if known else collection


def check_uri(kind: Kind, value: str) -> str:
    """The canonical URI of an allowed term ("" for blank), or TermError saying why not."""
    text = (value or "").strip()
    if not text:
        return ""
    parsed = parse_uri(text)
    if parsed is None:
        raise TermError(
            f"{text!r} is not a NERC Vocabulary Server term URI "
            f"(like http://vocab.nerc.ac.uk/collection/{kind.collections[0]}/current/…/)."
        )
    collection, code = parsed
    if collection not in kind.collections:
        raise TermError(
            f"{text!r} is a term of {_collection_name(collection)}; "
            f"the {kind.label_field} must be {kind.wanted}."
        )
    if collection == "L22" and not L22_CODE_RE.match(code):
        raise TermError(f"{code!r} is not an L22 code (TOOL and four digits, like TOOL1588).")
    uri = normalise_uri(text) or ""
    found = term(uri)
    if found is None and collections()[collection]["complete"]:
        raise TermError(f"{_collection_name(collection)} has no term {code!r}.")
    if found is not None and found.deprecated:
        raise TermError(
            f"{found.label!r} ({found.identifier}) is deprecated in NVS; choose a current term."
        )
    return uri


def fill_label(kind: Kind, uri: str, given_label: str) -> str:
    """The label to store beside the URI: the one given, else the term's own label.
    TermError when neither exists (a device outside the bundled subset of L22)."""
    given = (given_label or "").strip()
    if given or not uri:
        return given
    found = term(uri)
    if found is None:
        raise TermError(
            f"{uri} is not among the bundled terms, so its label is not known here: "
            f"give it in {kind.label_field}."
        )
    return found.label


def term_for_label(kind: Kind, text: str) -> str:
    """The URI of the allowed term whose label is exactly the text (any case), or "":
    choosing a term offered by the form's type-ahead stores its URI too."""
    wanted = (text or "").strip().lower()
    for collection in kind.collections:
        uri = _labels(collection).get(wanted)
        if uri:
            return uri
    return ""


@cache
def _labels(collection: str) -> dict[str, str]:
    return {found.label.lower(): found.uri for found in terms(collection)}
