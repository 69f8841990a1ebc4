"""Taxa in search documents: what a stated taxon expands to at index time.

A set's taxa (ImageSet.taxa: aphia_id and scientific_name) and its validated
annotation labels (Label.aphia_id and name) are looked up in the Taxon table
(WoRMS records; synonyms are rows whose valid_aphia_id names the accepted
taxon). Each found taxon expands to its accepted taxon, the accepted taxon's
lineage, and the names, synonyms and vernaculars of all of them, so a query
for `diatom`, `Ceratium furca` or `Chromista` finds the sets and images of the
accepted taxon and of everything below it.

Documents carry the result in three fields (catalogue/search/documents.py):
    taxon_path   accepted names of the taxa and of all their ancestors (filters, facet)
    taxon_ids    their AphiaIDs
    taxon_terms  every name a user may type for them (full text)

A name not in the Taxon table (or naming two accepted taxa) expands to
nothing: its stated lineage still counts, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F

from catalogue.models import Taxon

# What a document names a taxon by: (AphiaID or None, name).
Reference = tuple[int | None, str]


@dataclass
class Expansion:
    """An accepted taxon and what it stands for in the index."""

    aphia_id: int
    name: str
    rank: str
    path: list[tuple[int, str]] = field(default_factory=list)  # ancestors, then itself
    terms: set[str] = field(default_factory=set)


def as_aphia_id(value) -> int | None:
    """An AphiaID from a stored value (int, digits, or a WoRMS LSID); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        digits = value.rsplit(":", 1)[-1].strip()
        return int(digits) if digits.isdigit() and int(digits) > 0 else None
    return None


def singular(word: str) -> str:
    """English plural to singular, for the few shapes vernaculars take
    (diatoms, dinoflagellates, fishes, jellies): engines without stemming still
    match `diatom` to `diatoms`."""
    lower = word.lower()
    if len(lower) > 4 and lower.endswith("ies"):
        return lower[:-3] + "y"
    if len(lower) > 4 and lower.endswith(("shes", "ches", "sses", "xes")):
        return lower[:-2]
    if len(lower) > 3 and lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return lower[:-1]
    return lower


def vernacular_terms(vernaculars) -> set[str]:
    """Vernacular names as given, and their singular forms."""
    terms: set[str] = set()
    for entry in vernaculars or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name.strip():
            terms.add(name.strip())
            words = name.split()
            folded = " ".join([*words[:-1], singular(words[-1])])
            if folded.lower() != name.strip().lower():
                terms.add(folded)
    return terms


def expand(references: Iterable[Reference]) -> dict[Reference, Expansion]:
    """Each reference that names a known taxon -> its accepted taxon's expansion
    (a few queries for the whole batch)."""
    references = set(references)
    rows = rows_for(references)
    chosen = {ref: row for ref in references if (row := pick(ref, rows)) is not None}
    accepted_ids = {row.valid_aphia_id or row.aphia_id for row in chosen.values()}
    accepted = {row.aphia_id: row for row in Taxon.objects.filter(aphia_id__in=accepted_ids)}
    path_ids = set(accepted)
    for row in accepted.values():
        path_ids.update(
            a for entry in row.lineage or [] if (a := as_aphia_id(entry.get("aphia_id")))
        )
    known = {row.aphia_id: row for row in Taxon.objects.filter(aphia_id__in=path_ids)}
    synonyms: dict[int, set[str]] = defaultdict(set)
    others = Taxon.objects.filter(valid_aphia_id__in=path_ids).exclude(aphia_id=F("valid_aphia_id"))
    for valid_id, name in others.values_list("valid_aphia_id", "scientific_name"):
        if valid_id is not None:
            synonyms[valid_id].add(name)
    expansions = {
        aphia_id: expansion_of(row, known, synonyms) for aphia_id, row in accepted.items()
    }
    found = {}
    for ref, row in chosen.items():
        expansion = expansions.get(row.valid_aphia_id or row.aphia_id)
        if expansion is not None:
            if row.aphia_id != expansion.aphia_id:
                expansion.terms.add(row.scientific_name)  # the synonym stated
            found[ref] = expansion
    return found


def rows_for(references: set[Reference]) -> dict:
    """Taxon rows by AphiaID and by name (lists: a name may have several rows)."""
    ids = {aphia_id for aphia_id, _ in references if aphia_id}
    names = {name for _, name in references if name}
    by_id = {row.aphia_id: row for row in Taxon.objects.filter(aphia_id__in=ids)}
    by_name: dict[str, list[Taxon]] = defaultdict(list)
    for row in Taxon.objects.filter(scientific_name__in=names):
        by_name[row.scientific_name].append(row)
    return {"id": by_id, "name": by_name}


def pick(ref: Reference, rows: dict) -> Taxon | None:
    """The row a reference names: by AphiaID, else by name when that name means one
    accepted taxon (homonyms across kingdoms are left unresolved)."""
    aphia_id, name = ref
    if aphia_id and aphia_id in rows["id"]:
        return rows["id"][aphia_id]
    candidates = rows["name"].get(name, [])
    targets = {row.valid_aphia_id or row.aphia_id for row in candidates}
    if len(targets) != 1:
        return None
    return next((row for row in candidates if row.accepted), candidates[0])


def expansion_of(row: Taxon, known: dict[int, Taxon], synonyms: dict[int, set[str]]) -> Expansion:
    path = [
        (aphia_id, str(entry.get("name") or ""))
        for entry in row.lineage or []
        if (aphia_id := as_aphia_id(entry.get("aphia_id"))) and entry.get("name")
    ]
    path.append((row.aphia_id, row.scientific_name))
    terms: set[str] = set()
    for aphia_id, name in path:
        terms.add(name)
        terms.update(synonyms.get(aphia_id, ()))
        node = known.get(aphia_id)
        if node is not None:
            terms.update(vernacular_terms(node.vernaculars))
    return Expansion(row.aphia_id, row.scientific_name, row.rank, path, terms)


def document_taxa(references: Iterable[Reference], expansions: dict[Reference, Expansion]) -> dict:
    """The taxon fields a document gets from its references (see the module doc)."""
    names: set[str] = set()
    ids: set[int] = set()
    terms: set[str] = set()
    for ref in references:
        expansion = expansions.get(ref)
        if expansion is None:
            continue
        names.update(name for _, name in expansion.path)
        ids.update(aphia_id for aphia_id, _ in expansion.path)
        terms |= expansion.terms
    return {"path": names, "ids": sorted(ids), "terms": sorted(terms)}


def set_references(taxa) -> list[Reference]:
    """References of a set's stated taxa (ImageSet.taxa)."""
    refs: list[Reference] = []
    for entry in taxa or []:
        if isinstance(entry, dict) and isinstance(entry.get("scientific_name"), str):
            refs.append((as_aphia_id(entry.get("aphia_id")), entry["scientific_name"]))
    return refs
