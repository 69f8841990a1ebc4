"""Reads of the taxon table for search and forms: which accepted taxa a text names
(scientific name, synonym or vernacular, any case, singular or plural), the
descendants of a taxon, and every name a taxon and its ancestors go by."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Max

from catalogue.models import Taxon

_index: dict = {"key": None, "names": {}}


def _key() -> tuple:
    info = Taxon.objects.aggregate(last=Max("fetched"), top=Max("aphia_id"))
    return (Taxon.objects.count(), info["last"], info["top"])


def names_index() -> dict[str, set[int]]:
    """Lower-cased name (scientific, synonym, vernacular) -> accepted AphiaIDs; rebuilt
    when the table changes."""
    key = _key()
    if _index["key"] != key:
        names: dict[str, set[int]] = defaultdict(set)
        rows = Taxon.objects.values_list(
            "aphia_id", "scientific_name", "valid_aphia_id", "vernaculars"
        )
        for aphia_id, name, valid, vernaculars in rows:
            accepted = valid or aphia_id
            names[name.lower()].add(accepted)
            for vernacular in vernaculars or []:
                names[str(vernacular.get("name", "")).lower()].add(accepted)
        _index.update(key=key, names=dict(names))
    return _index["names"]


def variants(text: str) -> list[str]:
    word = " ".join(text.lower().split())
    forms = [word, f"{word}s", f"{word}es"]
    if word.endswith("s"):
        forms.append(word[:-1])
    if word.endswith("es"):
        forms.append(word[:-2])
    return forms


def resolve(text: str) -> list[Taxon]:
    """The accepted taxa `text` names, as a scientific name, a synonym or a vernacular
    (case-insensitive; `diatom` finds the taxa called `diatoms`)."""
    index = names_index()
    ids: set[int] = set()
    for form in variants(text or ""):
        ids |= index.get(form, set())
    return list(Taxon.objects.filter(aphia_id__in=ids).order_by("lineage", "scientific_name"))


def descendants_ids(aphia_id: int) -> set[int]:
    """AphiaIDs of every taxon below `aphia_id` in the table (synonyms included)."""
    found: set[int] = set()
    level = {aphia_id}
    while level:
        below = (
            set(Taxon.objects.filter(parent_aphia_id__in=level).values_list("aphia_id", flat=True))
            - found
            - {aphia_id}
        )
        found |= below
        level = below
    synonyms = Taxon.objects.filter(valid_aphia_id__in=found | {aphia_id}).exclude(
        aphia_id__in=found | {aphia_id}
    )
    return found | set(synonyms.values_list("aphia_id", flat=True))


def expansion(aphia_id: int) -> list[str]:
    """Names, synonyms and vernaculars of `aphia_id` and of its ancestors (the words a
    document about this taxon should be found by)."""
    taxon = Taxon.objects.filter(aphia_id=aphia_id).first()
    if taxon is None:
        return []
    accepted = taxon.valid_aphia_id or taxon.aphia_id
    ids = [accepted, *(step["aphia_id"] for step in taxon.lineage)]
    rows = Taxon.objects.filter(aphia_id__in=ids) | Taxon.objects.filter(valid_aphia_id__in=ids)
    words: list[str] = []
    for row in rows.order_by("aphia_id"):
        words.append(row.scientific_name)
        words.extend(v["name"] for v in row.vernaculars or [] if v.get("name"))
    words.extend(step["name"] for step in taxon.lineage)
    return list(dict.fromkeys(words))
