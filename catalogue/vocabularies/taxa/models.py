"""Taxa held here: WoRMS records (the bundled snapshot or WoRMS itself), questions
about names nobody could match, and how a set's taxa are checked against them
(imported by catalogue/models.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from catalogue.vocabularies.taxa.worms import WormsClient, WormsError

__all__ = ["Taxon", "TaxonQuestion", "clean_set_taxa", "taxon_named", "taxon_row", "worms_row"]


class Taxon(models.Model):
    """A WoRMS taxon (an AphiaRecord), from the bundled snapshot or from WoRMS itself.

    Synonyms are rows too (status "unaccepted", `valid_aphia_id` naming the accepted
    taxon), so a name met anywhere resolves to one accepted AphiaID."""

    class Source(models.TextChoices):
        SNAPSHOT = "snapshot", "bundled snapshot"
        WORMS = "worms", "WoRMS"

    aphia_id = models.PositiveIntegerField(primary_key=True)
    scientific_name = models.CharField(max_length=300, db_index=True)
    authority = models.CharField(max_length=300, blank=True)
    rank = models.CharField(max_length=40, blank=True)
    # WoRMS's status: accepted, unaccepted, alternate representation, nomen dubium, ...
    status = models.CharField(max_length=60, blank=True)
    unaccept_reason = models.CharField(max_length=300, blank=True)
    # The accepted taxon (itself when accepted), as WoRMS's valid_AphiaID.
    valid_aphia_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    valid_name = models.CharField(max_length=300, blank=True)
    parent_aphia_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    # [{"aphia_id", "name", "rank"}], kingdom first, ending with the parent.
    lineage = models.JSONField(default=list, blank=True)
    # [{"name", "language"}], language as WoRMS gives it (ISO 639-3, e.g. "eng").
    vernaculars = models.JSONField(default=list, blank=True)
    # Of "marine", "brackish", "freshwater", "terrestrial", as WoRMS flags them.
    environments = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SNAPSHOT)
    fetched = models.DateTimeField(null=True, blank=True, help_text="when read from WoRMS")

    class Meta:
        ordering = ["scientific_name", "aphia_id"]

    def __str__(self) -> str:
        return f"{self.scientific_name} ({self.rank}, AphiaID {self.aphia_id})"

    @property
    def lsid(self) -> str:
        return f"urn:lsid:marinespecies.org:taxname:{self.aphia_id}"

    @property
    def accepted(self) -> bool:
        return self.valid_aphia_id in (None, self.aphia_id)


# --- Taxa: questions for the curator and the check of a set's taxa ----------------------
# (catalogue/services/taxa.py writes these; catalogue/vocabularies/taxa/ reads WoRMS.)


class TaxonQuestion(models.Model):
    """A name met on import that could not be matched to one accepted taxon: several
    accepted homonyms, only fuzzy WoRMS matches, no match at all, or WoRMS could not
    be reached (pending: asked again later). Answered by the set's curator."""

    class Kind(models.TextChoices):
        AMBIGUOUS = "ambiguous", "several accepted taxa have this name"
        FUZZY = "fuzzy", "WoRMS only knows similar names"
        NO_MATCH = "no_match", "WoRMS knows no such name"
        PENDING = "pending", "waiting for WoRMS"

    class State(models.TextChoices):
        OPEN = "open", "open"
        ANSWERED = "answered", "answered"

    image_set = models.ForeignKey(
        "catalogue.ImageSet", on_delete=models.CASCADE, related_name="taxon_questions"
    )
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # [{"aphia_id", "scientific_name", "authority", "rank", "status", "match_type"}]
    candidates = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    answer_aphia_id = models.PositiveIntegerField(null=True, blank=True)
    answer_not_taxon = models.BooleanField(default=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["image_set", "name"]
        constraints = [
            models.UniqueConstraint(fields=["image_set", "name"], name="taxon_question_once")
        ]

    def __str__(self) -> str:
        return f"{self.name!r} ({self.kind}) in {self.image_set_id}"


def clean_set_taxa(taxa: list) -> tuple[list, list[str]]:
    """`taxa` with what the taxon table knows filled in (name, rank, lineage of a
    known AphiaID), and the problems, each naming its row: an AphiaID WoRMS does not
    know, an unaccepted name, a name that is not the AphiaID's. WoRMS is asked (once,
    briefly) only about AphiaIDs the table lacks; unreachable, they stay as given."""
    problems: list[str] = []
    cleaned = []
    ids = [str(t.get("aphia_id")) for t in taxa if isinstance(t, dict)]
    known: dict[int, dict | None] = {
        taxon.aphia_id: taxon_row(taxon)
        for taxon in Taxon.objects.filter(aphia_id__in=[int(i) for i in ids if i.isdigit()])
    }
    for index, taxon in enumerate(taxa):
        row = f"taxon {index + 1}"
        if not isinstance(taxon, dict) or not taxon.get("scientific_name"):
            problems.append(f"{row} needs scientific_name")
            cleaned.append(taxon)
            continue
        given = str(taxon.get("aphia_id") if taxon.get("aphia_id") is not None else "")
        if not given:
            named, problem = taxon_named(str(taxon["scientific_name"]))
            if problem:
                problems.append(f"{row}: {problem}")
            cleaned.append({**taxon, **named})
            continue
        if not given.isdigit():
            problems.append(f"{row}: aphia_id must be a WoRMS AphiaID (digits)")
            cleaned.append(taxon)
            continue
        aphia_id = int(given)
        if aphia_id not in known:
            known[aphia_id] = worms_row(aphia_id)
        record = known[aphia_id]
        if record is None:
            problems.append(f"{row}: WoRMS does not know AphiaID {aphia_id}")
            cleaned.append(taxon)
            continue
        if record == {}:  # WoRMS unreachable: kept as given
            cleaned.append({**taxon, "aphia_id": aphia_id})
            continue
        name = str(taxon["scientific_name"]).strip()
        if record["status"] != "accepted":
            problems.append(
                f"{row}: {record['scientific_name']} (AphiaID {aphia_id}) is not an accepted "
                f"name in WoRMS ({record['status'] or 'unaccepted'}); the accepted taxon is "
                f"{record['valid_name']} (AphiaID {record['valid_aphia_id']})"
            )
        elif name.lower() != record["scientific_name"].lower():
            problems.append(
                f"{row}: scientific_name {name!r} is not the name of AphiaID "
                f"{aphia_id}, which is {record['scientific_name']}"
            )
        filled = {"aphia_id": aphia_id, "scientific_name": record["scientific_name"]}
        filled["rank"] = record["rank"] or taxon.get("rank", "")
        if record["lineage"] or "lineage" in taxon:
            filled["lineage"] = record["lineage"] or taxon["lineage"]
        cleaned.append({**taxon, **filled})
    return cleaned, problems


def taxon_named(name: str) -> tuple[dict, str]:
    """(AphiaID, name, rank and lineage of the one accepted taxon the table knows by
    `name`, or nothing when it knows none or several; why the name cannot be used)."""
    rows = list(Taxon.objects.filter(scientific_name__iexact=name.strip()))
    accepted = [row for row in rows if row.accepted]
    if len(accepted) == 1:
        found = accepted[0]
        filled = {"aphia_id": found.aphia_id, "scientific_name": found.scientific_name}
        if found.rank:
            filled["rank"] = found.rank
        filled["lineage"] = [step["name"] for step in found.lineage]
        return filled, ""
    if rows and not accepted and len({row.valid_aphia_id for row in rows}) == 1:
        synonym = rows[0]
        return {}, (
            f"{synonym.scientific_name} is not an accepted name in WoRMS "
            f"({synonym.status or 'unaccepted'}); the accepted taxon is "
            f"{synonym.valid_name} (AphiaID {synonym.valid_aphia_id})"
        )
    return {}, ""


def taxon_row(taxon: Taxon) -> dict:
    accepted = taxon.accepted
    return {
        "scientific_name": taxon.scientific_name,
        "rank": taxon.rank,
        "status": "accepted" if accepted else (taxon.status or "unaccepted"),
        "valid_name": taxon.valid_name,
        "valid_aphia_id": taxon.valid_aphia_id,
        "lineage": [step["name"] for step in taxon.lineage],
    }


def worms_row(aphia_id: int) -> dict | None:
    """What WoRMS says of `aphia_id`: None when it does not know it, {} when it cannot
    be asked now."""
    try:
        record = WormsClient(retries=0).record(aphia_id)
    except WormsError:
        return {}
    if record is None:
        return None
    accepted = record.get("valid_AphiaID") in (None, aphia_id)
    return {
        "scientific_name": record.get("scientificname") or "",
        "rank": record.get("rank") or "",
        "status": "accepted" if accepted else (record.get("status") or "unaccepted"),
        "valid_name": record.get("valid_name") or "",
        "valid_aphia_id": record.get("valid_AphiaID"),
        "lineage": [],
    }
