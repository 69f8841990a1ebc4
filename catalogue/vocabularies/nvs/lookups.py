"""Terms of the NERC Vocabulary Server (NVS) bundled with AquaCat: lookups by URI and
the type-ahead search. The data is `terms.json` beside this file (see README.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "terms.json"
NVS_BASE = "http://vocab.nerc.ac.uk/collection/"

# A term URI as NVS writes it (http or https, with or without the trailing slash or
# "current"), or its SeaDataNet URN (SDN:L22::TOOL1588).
URI_RE = re.compile(
    r"^https?://vocab\.nerc\.ac\.uk/collection/(?P<collection>[A-Z0-9]{3})/"
    r"(?:current/)?(?P<code>[A-Za-z0-9_.-]+)/?$"
)
URN_RE = re.compile(r"^SDN:(?P<collection>[A-Z0-9]{3})::(?P<code>[A-Za-z0-9_.-]+)$")


@dataclass(frozen=True)
class Term:
    uri: str
    identifier: str
    collection: str
    code: str
    label: str
    definition: str
    deprecated: bool
    broader: tuple[str, ...]
    keywords: tuple[str, ...]

    def as_dict(self) -> dict:
        """The term as the API and exports give it, its broader terms with their labels."""
        return {
            "uri": self.uri,
            "identifier": self.identifier,
            "collection": self.collection,
            "label": self.label,
            "definition": self.definition,
            "deprecated": self.deprecated,
            "broader": [{"uri": uri, "label": label(uri)} for uri in self.broader],
            "keywords": list(self.keywords),
        }


def canonical_uri(collection: str, code: str) -> str:
    return f"{NVS_BASE}{collection}/current/{code}/"


def parse_uri(value: str) -> tuple[str, str] | None:
    """(collection, code) of an NVS term URI or URN, or None when it is neither."""
    text = (value or "").strip()
    match = URI_RE.match(text) or URN_RE.match(text)
    if not match:
        return None
    return match.group("collection"), match.group("code")


def normalise_uri(value: str) -> str | None:
    """The canonical form NVS publishes (http, "current", trailing slash), or None."""
    parsed = parse_uri(value)
    return canonical_uri(*parsed) if parsed else None


@cache
def _load() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@cache
def _terms() -> dict[str, Term]:
    out = {}
    for row in _load()["terms"]:
        collection, code = parse_uri(row["uri"]) or ("", "")
        out[row["uri"]] = Term(
            uri=row["uri"],
            identifier=row["identifier"],
            collection=collection,
            code=code,
            label=row["label"],
            definition=row.get("definition", ""),
            deprecated=bool(row.get("deprecated", False)),
            broader=tuple(row.get("broader", ())),
            keywords=tuple(row.get("keywords", ())),
        )
    return out


def collections() -> dict[str, dict]:
    """Bundled collections: title, URI and whether every term of it is bundled."""
    return _load()["collections"]


def source() -> dict:
    data = _load()
    return {key: data[key] for key in ("source", "licence", "retrieved")}


def term(uri: str) -> Term | None:
    """The bundled term for a URI or URN in any of its spellings, or None."""
    canonical = normalise_uri(uri)
    return _terms().get(canonical) if canonical else None


def label(uri: str) -> str:
    """The term's preferred label, or "" when the term is not bundled."""
    found = term(uri)
    return found.label if found else ""


def collection_of(uri: str) -> str | None:
    """The collection an NVS URI names (L22, L05, L06...), bundled or not."""
    parsed = parse_uri(uri)
    return parsed[0] if parsed else None


def broader(uri: str) -> list[Term]:
    """The term's categories: for an L22 device, its L05 device categories."""
    found = term(uri)
    if found is None:
        return []
    return [t for t in (term(b) for b in found.broader) if t is not None]


def terms(*collection_ids: str, deprecated: bool = False) -> list[Term]:
    """Bundled terms of the collections, in the order given, by label."""
    wanted = [t for t in _terms().values() if t.collection in collection_ids]
    if not deprecated:
        wanted = [t for t in wanted if not t.deprecated]
    return sorted(wanted, key=lambda t: (collection_ids.index(t.collection), t.label.lower()))


def _rank(found: Term, query: str, words: list[str]) -> int | None:
    """Lower is better; None when the term does not match every word."""
    names = [found.label.lower(), *(k.lower() for k in found.keywords)]
    haystack = " ".join([*names, found.code.lower(), found.identifier.lower()])
    if not all(word in haystack for word in words):
        return None
    if query in names or query in (found.code.lower(), found.identifier.lower()):
        return 0
    if any(name.startswith(query) for name in names):
        return 1
    starts = re.compile(r"(?:^|[\s{(\[/-])" + re.escape(words[0]))
    if any(starts.search(name) for name in names):
        return 2
    return 3


def search(collection_ids: tuple[str, ...], text: str, limit: int = 20) -> list[Term]:
    """Type-ahead: terms whose label, search words, code or identifier hold every word
    of the text; exact names first, then names that begin with it, then word starts."""
    query = " ".join((text or "").lower().split())
    pool = terms(*collection_ids)
    exact = term(text) if parse_uri(text or "") else None
    if exact is not None:
        return [exact] if exact.collection in collection_ids else []
    if not query:
        return pool[:limit]
    ranked = []
    for position, found in enumerate(pool):
        rank = _rank(found, query, query.split())
        if rank is not None:
            ranked.append((rank, position, found))
    ranked.sort(key=lambda row: (row[0], row[1]))
    return [found for _rank_, _position, found in ranked[:limit]]
