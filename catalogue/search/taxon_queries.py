"""Taxa at query time, the same on every backend: which taxon a query names
("diatom" -> Bacillariophyceae (Class)), the taxon facet as a tree by rank, and
taxa offered as suggestions.

Documents already carry every name of their taxa and ancestors (taxonomy.py),
so a backend finds the sets; this says to the user why they were found.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass

from catalogue.models import Taxon
from catalogue.search.query import SearchQuery
from catalogue.search.results import FacetValue, SearchResult
from catalogue.vocabularies.taxa import lookup

MAX_PHRASE_WORDS = 3
MAX_QUERY_WORDS = 12
MAX_MATCHES = 5
ENGLISH = ("eng", "en", "english")
WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
STOP = frozenset("a an and in of on or the to with".split())  # noqa: SIM905


@dataclass
class MatchedTaxon:
    """A taxon the query text names, and how it named it."""

    text: str  # the words of the query ("diatom")
    aphia_id: int
    name: str  # the accepted name
    rank: str
    via: str  # "name", "synonym" or "vernacular"
    vernacular: str = ""  # an English vernacular name, when WoRMS gives one

    @property
    def label(self) -> str:
        return f"{self.name} ({self.rank})" if self.rank else self.name

    def as_dict(self) -> dict:
        return {**asdict(self), "label": self.label}


def english_vernacular(taxon: Taxon) -> str:
    for entry in taxon.vernaculars or []:
        if str(entry.get("language", "")).lower() in ENGLISH and entry.get("name"):
            return str(entry["name"])
    return ""


def phrases(text: str) -> list[str]:
    """Runs of up to MAX_PHRASE_WORDS words of the text, longest first."""
    words = WORD.findall(text or "")[:MAX_QUERY_WORDS]
    found = []
    for size in range(min(MAX_PHRASE_WORDS, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            run = words[start : start + size]
            if size == 1 and run[0].lower() in STOP:
                continue
            found.append(" ".join(run))
    return found


def how_named(phrase: str, taxon: Taxon) -> str:
    forms = set(lookup.variants(phrase))
    if taxon.scientific_name.lower() in forms:
        return "name"
    vernaculars = {str(v.get("name", "")).lower() for v in taxon.vernaculars or []}
    return "vernacular" if forms & vernaculars else "synonym"


def resolve(text: str) -> list[MatchedTaxon]:
    """The taxa the query text names: the longest phrases first, each word used by
    one match at most ("Calanus finmarchicus" is the species, not also the genus).
    Names are read from the taxa lookup's in-process index; one query for the rows."""
    index = lookup.names_index()
    words = [w.lower() for w in WORD.findall(text or "")[:MAX_QUERY_WORDS]]
    used: set[int] = set()
    named: list[tuple[str, set[int]]] = []
    for phrase in phrases(text):
        size = len(phrase.split())
        free = [
            i
            for i in range(len(words) - size + 1)
            if words[i : i + size] == phrase.lower().split() and not used & set(range(i, i + size))
        ]
        ids = set().union(*(index.get(form, set()) for form in lookup.variants(phrase)))
        if free and ids:
            used.update(range(free[0], free[0] + size))
            named.append((phrase, ids))
    rows = Taxon.objects.in_bulk({aphia_id for _, ids in named for aphia_id in ids})
    matches: list[MatchedTaxon] = []
    for phrase, ids in named:
        for taxon in sorted((rows[i] for i in ids if i in rows), key=lambda t: t.scientific_name):
            if all(m.aphia_id != taxon.aphia_id for m in matches):
                matches.append(
                    MatchedTaxon(
                        text=phrase,
                        aphia_id=taxon.aphia_id,
                        name=taxon.scientific_name,
                        rank=taxon.rank,
                        via=how_named(phrase, taxon),
                        vernacular=english_vernacular(taxon),
                    )
                )
    return matches[:MAX_MATCHES]


def annotate(text: str, facets: list[str], result: SearchResult) -> SearchResult:
    """Adds to a backend's result the taxa the text names (and, per hit, which of
    them it holds) and the taxon facet as a tree."""
    if text.strip():
        result.matched_taxa = [match.as_dict() for match in resolve(text)]
        for hit in result.hits:
            ids = set(hit.document.get("taxon_ids") or [])
            hit.matched_taxa = [m["name"] for m in result.matched_taxa if m["aphia_id"] in ids]
    if "taxon" in facets:
        result.taxon_tree = facet_tree(result.facets.get("taxon", []))
    return result


# --- the facet as a tree ------------------------------------------------------------------


def ranks_and_parents(names: set[str]) -> tuple[dict[str, dict], dict[str, str]]:
    """For names of the facet: rank, AphiaID and vernacular (from the Taxon table and
    the lineages it holds), and each one's parent name."""
    info: dict[str, dict] = {}
    parents: dict[str, str] = {}
    rows = Taxon.objects.filter(scientific_name__in=names).order_by("aphia_id")
    for row in sorted(rows, key=lambda r: not r.accepted):  # accepted rows win
        if row.scientific_name in info:
            continue
        info[row.scientific_name] = {
            "rank": row.rank,
            "aphia_id": row.aphia_id,
            "vernacular": english_vernacular(row),
        }
        lineage = [e for e in row.lineage or [] if isinstance(e, dict) and e.get("name")]
        chain = [*(str(e["name"]) for e in lineage), row.scientific_name]
        for entry in lineage:
            info.setdefault(
                str(entry["name"]),
                {"rank": entry.get("rank") or "", "aphia_id": entry.get("aphia_id")},
            )
        for parent, child in itertools.pairwise(chain):
            parents.setdefault(child, parent)
    return info, parents


def facet_tree(values: list[FacetValue], fallback_parents: dict[str, str] | None = None) -> list:
    """The taxon facet's values as a tree by rank: each name under its nearest ancestor
    that is itself a value (ancestors from the Taxon table, else from `fallback_parents`:
    the lineages sets state). Nodes: value, count, rank, aphia_id, vernacular, children."""
    names = {str(v.value) for v in values}
    info, parents = ranks_and_parents(names)
    for child, stated in (fallback_parents or {}).items():
        parents.setdefault(child, stated)
    nodes = {
        str(v.value): {
            "value": str(v.value),
            "count": v.count,
            "rank": info.get(str(v.value), {}).get("rank", ""),
            "aphia_id": info.get(str(v.value), {}).get("aphia_id"),
            "vernacular": info.get(str(v.value), {}).get("vernacular", ""),
            "children": [],
        }
        for v in values
    }
    roots = []
    for name, node in nodes.items():
        parent: str | None = parents.get(name)
        seen = {name}
        while parent is not None and parent not in nodes and parent not in seen:
            seen.add(parent)
            parent = parents.get(parent)
        if parent is not None and parent in nodes and parent != name:
            nodes[parent]["children"].append(node)
        else:
            roots.append(node)
    return ordered(roots)


def ordered(nodes: list) -> list:
    nodes.sort(key=lambda n: (-n["count"], n["value"]))
    for node in nodes:
        ordered(node["children"])
    return nodes


# --- suggestions -----------------------------------------------------------------------


def taxa_starting(prefix: str, limit: int) -> list[tuple[str, int]]:
    """(name typed, accepted AphiaID) for names of the Taxon table (scientific,
    synonym, vernacular) with a word starting with `prefix`, shortest names first."""
    prefix = " ".join(prefix.lower().split())
    if not prefix:
        return []
    found: dict[int, str] = {}
    for name, ids in sorted(lookup.names_index().items(), key=lambda item: (len(item[0]), item[0])):
        if name.startswith(prefix) or f" {prefix}" in f" {name}":
            for aphia_id in sorted(ids):
                found.setdefault(aphia_id, name)
        if len(found) >= limit:
            break
    return [(name, aphia_id) for aphia_id, name in found.items()]


def suggest_taxa(backend, prefix: str, visibility, limit: int = 10) -> list[dict]:
    """Taxa whose name or vernacular starts with `prefix` and that sets the viewer may
    see hold (themselves or below), most sets first: [{aphia_id, name, rank,
    vernacular, typed, count, label}]. Counted by the backend, so access is as search's."""
    candidates = taxa_starting(prefix, limit * 3)
    if not candidates or limit <= 0:
        return []
    rows = {
        row.aphia_id: row for row in Taxon.objects.filter(aphia_id__in=[a for _, a in candidates])
    }
    names = sorted({row.scientific_name for row in rows.values()})
    query = SearchQuery(taxon=names, facets=["taxon"], page_size=1, highlight=False)
    counts = backend.search(query.validate(), visibility).facet_counts("taxon")
    offered = []
    for typed, aphia_id in candidates:
        row = rows.get(aphia_id)
        if row is None or not counts.get(row.scientific_name):
            continue
        vernacular = english_vernacular(row)
        label = f"{row.scientific_name} ({row.rank})" if row.rank else row.scientific_name
        offered.append(
            {
                "aphia_id": row.aphia_id,
                "name": row.scientific_name,
                "rank": row.rank,
                "vernacular": vernacular,
                "typed": typed,
                "count": counts[row.scientific_name],
                "label": f"{label} · {vernacular}" if vernacular else label,
            }
        )
    offered.sort(key=lambda item: (-item["count"], item["name"]))
    return offered[:limit]
