"""Matching names to WoRMS taxa, and the curator's questions about those that
cannot be matched alone.

A name met on import (an EcoTaxa category, a label, a set's taxon) is matched
first against the taxon table (the bundled snapshot and what WoRMS answered
before), then against WoRMS (AphiaRecordsByMatchNames):

- exact and accepted: that taxon;
- a synonym (unaccepted): its accepted taxon, noted;
- no taxon (`detritus`, `egg<other`, `t001`): a concept, the name kept;
- several accepted homonyms, only fuzzy matches, or no match at all: a question
  for the set's curator (TaxonQuestion), answered with `answer_question`;
- WoRMS unreachable: the name waits (a pending question), asked again by
  `retry_pending` (`manage.py taxa match --pending`, the Celery task).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalogue import access
from catalogue.access import Action
from catalogue.models import ImageSet, Taxon, TaxonQuestion
from catalogue.vocabularies.taxa import nontaxa
from catalogue.vocabularies.taxa.records import (
    ROOT,
    candidate,
    lineage_of,
    taxon_fields,
    vernacular_list,
)
from catalogue.vocabularies.taxa.worms import WormsClient, WormsError, WormsUnavailable
from curation.models import Label, Labelling, LabelSet

TAXON, SYNONYM, NOT_TAXON = "taxon", "synonym", "not_taxon"
QUESTION_KINDS = {choice.value for choice in TaxonQuestion.Kind}


@dataclass
class Match:
    name: str
    kind: str  # taxon, synonym, not_taxon, or a TaxonQuestion.Kind
    taxon: Taxon | None = None  # the accepted taxon
    matched: Taxon | None = None  # the row the name matched (a synonym's own row)
    candidates: list[dict] = field(default_factory=list)
    note: str = ""

    @property
    def resolved(self) -> bool:
        return self.kind in (TAXON, SYNONYM, NOT_TAXON)

    def label_fields(self) -> dict:
        """What a label of this name gets: its AphiaID, or the name as a concept."""
        if self.taxon is not None:
            return {"aphia_id": self.taxon.aphia_id}
        if self.kind == NOT_TAXON:
            return {"concept": self.name[:100]}
        return {}


def row_candidate(row: Taxon) -> dict:
    return {
        "aphia_id": row.aphia_id,
        "scientific_name": row.scientific_name,
        "authority": row.authority,
        "rank": row.rank,
        "status": row.status,
        "valid_aphia_id": row.valid_aphia_id,
        "valid_name": row.valid_name,
        "lineage": " > ".join(step["name"] for step in row.lineage),
        "match_type": "exact",
    }


# --- matching --------------------------------------------------------------------------


def match_names(
    names: Iterable[str], *, client: WormsClient | None = None, online: bool = True
) -> dict[str, Match]:
    """{name: Match} for every name; WoRMS is asked (once, in batches) only about the
    names the taxon table cannot settle, and only when `online`."""
    result: dict[str, Match] = {}
    ask: list[str] = []
    for name in dict.fromkeys(names):
        local = match_locally(name)
        if local is None:
            ask.append(name)
        else:
            result[name] = local
    if ask and not online:
        result.update((name, Match(name, "pending", note="not in the taxon table")) for name in ask)
    elif ask:
        result.update(match_with_worms(ask, client or WormsClient()))
    return result


def match_locally(name: str) -> Match | None:
    """The match the taxon table alone gives, None when WoRMS must be asked."""
    clean = " ".join(str(name).split())
    if not clean:
        return Match(name, "no_match", note="an empty name")
    if nontaxa.is_not_taxon(clean):
        return Match(name, NOT_TAXON, note="not a taxon: kept as a concept")
    child, parent = nontaxa.split(clean)
    rows = list(Taxon.objects.filter(scientific_name__iexact=child))
    if not rows:
        return None
    accepted = within(parent, [row for row in rows if row.accepted])
    if len(accepted) == 1:
        return Match(name, TAXON, taxon=accepted[0], matched=accepted[0])
    if len(accepted) > 1:
        return Match(
            name,
            "ambiguous",
            candidates=[row_candidate(row) for row in accepted],
            note=f"{len(accepted)} accepted taxa are called {child}",
        )
    valid_ids = {row.valid_aphia_id for row in rows if row.valid_aphia_id}
    targets = list(Taxon.objects.filter(aphia_id__in=valid_ids))
    if len(valid_ids) == 1 and targets:
        return synonym_match(name, rows[0], targets[0])
    if len(valid_ids) > 1:
        return Match(name, "ambiguous", candidates=[row_candidate(row) for row in rows])
    return None


def within(parent: str, rows: list[Taxon]) -> list[Taxon]:
    """`rows` whose lineage holds `parent` (EcoTaxa's `child<parent`), all when none does."""
    if not parent or len(rows) < 2:
        return rows
    wanted = parent.lower()
    inside = [r for r in rows if any(s["name"].lower() == wanted for s in r.lineage)]
    return inside or rows


def synonym_match(name: str, row: Taxon, accepted: Taxon) -> Match:
    return Match(
        name,
        SYNONYM,
        taxon=accepted,
        matched=row,
        note=(
            f"{row.scientific_name} (AphiaID {row.aphia_id}) is {row.status or 'unaccepted'} "
            f"in WoRMS: matched to its accepted taxon {accepted.scientific_name} "
            f"(AphiaID {accepted.aphia_id})"
        ),
    )


def match_with_worms(names: list[str], client: WormsClient) -> dict[str, Match]:
    children = {name: nontaxa.split(" ".join(name.split())) for name in names}
    wanted = list(dict.fromkeys(child for child, _ in children.values()))
    # WoRMS's answer for a name is kept a while, so a name is asked once (the
    # names it settles are rows of the taxon table from then on).
    answers = {child: cache.get(answer_key(child)) for child in wanted}
    asked = [child for child, answer in answers.items() if answer is None]
    try:
        found = client.records_by_match_names(asked) if asked else []
    except WormsError as error:
        return {name: Match(name, "pending", note=str(error)) for name in names}
    for child, records in zip(asked, found, strict=True):
        answers[child] = records
        cache.set(answer_key(child), records, settings.WORMS_ANSWER_SECONDS)
    result = {}
    for name, (child, parent) in children.items():
        try:
            result[name] = from_worms(name, parent, answers[child] or [], client)
        except WormsUnavailable as error:
            result[name] = Match(name, "pending", note=str(error))
    return result


def answer_key(name: str) -> str:
    return "worms:match:" + hashlib.sha256(name.lower().encode()).hexdigest()


def from_worms(name: str, parent: str, records: list[dict], client: WormsClient) -> Match:
    if not records:
        return Match(name, "no_match", note="WoRMS knows no such name")
    exact = [r for r in records if r.get("match_type") == "exact"]
    if not exact:
        return Match(
            name,
            "fuzzy",
            candidates=[candidate(r) for r in records],
            note="WoRMS only knows similar names",
        )
    accepted = [r for r in exact if r.get("status") == "accepted"]
    if parent and len(accepted) > 1:
        wanted = parent.lower()
        ranks = ("kingdom", "phylum", "class", "order", "family", "genus")
        inside = [r for r in accepted if any((r.get(k) or "").lower() == wanted for k in ranks)]
        accepted = inside or accepted
    if len(accepted) == 1:
        taxon = store(accepted[0], client)
        return Match(name, TAXON, taxon=taxon, matched=taxon)
    if len(accepted) > 1:
        return Match(
            name,
            "ambiguous",
            candidates=[candidate(r) for r in accepted],
            note=f"{len(accepted)} accepted taxa are called {exact[0].get('scientificname')}",
        )
    valid_ids = {int(r["valid_AphiaID"]) for r in exact if r.get("valid_AphiaID")}
    if len(valid_ids) != 1:
        return Match(name, "ambiguous", candidates=[candidate(r) for r in exact])
    row = store(exact[0], client)
    return synonym_match(name, row, ensure(valid_ids.pop(), client))


# --- storing what WoRMS answered -----------------------------------------------------------


def ensure(aphia_id: int, client: WormsClient) -> Taxon:
    """The taxon `aphia_id`, read from WoRMS when the table lacks it."""
    row = Taxon.objects.filter(aphia_id=aphia_id).first()
    if row is not None:
        return row
    record = client.record(aphia_id)
    if record is None:
        raise WormsError(f"WoRMS does not know AphiaID {aphia_id}")
    return store(record, client)


def store(record: dict, client: WormsClient) -> Taxon:
    """Save an AphiaRecord with its lineage (and its ancestors as rows) and vernaculars."""
    aphia_id = int(record["AphiaID"])
    valid_id = record.get("valid_AphiaID") or aphia_id
    if valid_id == aphia_id:
        path = client.classification(aphia_id)
        ensure_ancestors(path, aphia_id)
        lineage = lineage_of(path, aphia_id)
        vernaculars = vernacular_list(client.vernaculars(aphia_id))
    else:
        lineage = ensure(valid_id, client).lineage
        vernaculars = []
    fields = taxon_fields(record, lineage, vernaculars)
    fields.pop("aphia_id")
    taxon, _ = Taxon.objects.update_or_create(
        aphia_id=aphia_id,
        defaults={**fields, "source": Taxon.Source.WORMS, "fetched": timezone.now()},
    )
    return taxon


def ensure_ancestors(path: list[dict], aphia_id: int) -> None:
    """Rows for the ancestors of a classification path (accepted, as WoRMS classifies)."""
    previous = None
    for index, step in enumerate(path):
        if step["AphiaID"] in (ROOT, aphia_id):
            previous = step["AphiaID"] if step["AphiaID"] != ROOT else None
            continue
        Taxon.objects.get_or_create(
            aphia_id=step["AphiaID"],
            defaults={
                "scientific_name": step["scientificname"] or "",
                "rank": step["rank"] or "",
                "status": "accepted",
                "valid_aphia_id": step["AphiaID"],
                "valid_name": step["scientificname"] or "",
                "parent_aphia_id": previous,
                "lineage": lineage_of(path[:index], step["AphiaID"]),
                "source": Taxon.Source.WORMS,
            },
        )
        previous = step["AphiaID"]


# --- questions -----------------------------------------------------------------------------


def record_questions(image_set: ImageSet, matches: dict[str, Match]) -> list[TaxonQuestion]:
    """Open a question for each name that needs one; close pending ones now matched."""
    asked = []
    for name, match in matches.items():
        open_question = TaxonQuestion.objects.filter(
            image_set=image_set, name=name[:300], state=TaxonQuestion.State.OPEN
        )
        if match.resolved:
            open_question.filter(kind=TaxonQuestion.Kind.PENDING).delete()
            continue
        if TaxonQuestion.objects.filter(
            image_set=image_set, name=name[:300], state=TaxonQuestion.State.ANSWERED
        ).exists():
            continue
        question, _ = TaxonQuestion.objects.update_or_create(
            image_set=image_set,
            name=name[:300],
            defaults={"kind": match.kind, "candidates": match.candidates},
        )
        asked.append(question)
    return asked


def label_taxa(image_set: ImageSet, names: Iterable[str]) -> dict[str, dict]:
    """For an import: {name: label fields (aphia_id or concept)} of the names that
    match, the others asked of the curator (or left pending)."""
    matches = match_names(names)
    record_questions(image_set, matches)
    return {name: match.label_fields() for name, match in matches.items()}


def known_label_taxa(names: Iterable[str]) -> dict[str, dict]:
    """Label fields of the names the taxon table alone settles (no WoRMS call)."""
    matches = match_names(names, online=False)
    return {name: m.label_fields() for name, m in matches.items() if m.resolved}


def open_questions(image_set: ImageSet):
    return TaxonQuestion.objects.filter(image_set=image_set, state=TaxonQuestion.State.OPEN)


@transaction.atomic
def answer_question(
    actor,
    question: TaxonQuestion,
    aphia_id: int | str | None = None,
    *,
    not_taxon: bool = False,
    client: WormsClient | None = None,
) -> TaxonQuestion:
    """Settle `question` with an accepted AphiaID, or as no taxon; the labels of that
    name in the set's (draft) label set take the answer."""
    access.require(actor, Action.EDIT, question.image_set)
    problems: dict[str, list[str]] = {}
    taxon = None
    if question.state == TaxonQuestion.State.ANSWERED:
        problems["question"] = ["this question is already answered"]
    if not_taxon and aphia_id not in (None, ""):
        problems["aphia_id"] = ["give an AphiaID or not_taxon, not both"]
    elif not not_taxon and aphia_id in (None, ""):
        problems["aphia_id"] = ["give the AphiaID of the accepted taxon, or not_taxon"]
    elif not not_taxon and not str(aphia_id).isdigit():
        problems["aphia_id"] = [f"{aphia_id!r} is not a WoRMS AphiaID (digits)"]
    elif not not_taxon:
        taxon, problem = known_taxon(int(str(aphia_id)), client)
        if problem:
            problems["aphia_id"] = [problem]
    if problems:
        raise ValidationError(problems)
    question.state = TaxonQuestion.State.ANSWERED
    question.answer_aphia_id = taxon.aphia_id if taxon else None
    question.answer_not_taxon = not_taxon
    question.answered_by = actor if getattr(actor, "pk", None) else None
    question.answered = timezone.now()
    question.save()
    fields = (
        {"aphia_id": taxon.aphia_id, "concept": ""} if taxon else {"concept": question.name[:100]}
    )
    apply_to_labels(question.image_set, question.name, fields)
    return question


def known_taxon(aphia_id: int, client: WormsClient | None) -> tuple[Taxon | None, str]:
    """(the accepted taxon `aphia_id`, '') or (None, why it cannot be used)."""
    try:
        taxon = ensure(aphia_id, client or WormsClient())
    except WormsUnavailable as error:
        return None, f"AphiaID {aphia_id} is not in the taxon table and {error}"
    except WormsError:
        return None, f"WoRMS does not know AphiaID {aphia_id}"
    if not taxon.accepted:
        return None, (
            f"{taxon.scientific_name} (AphiaID {aphia_id}) is not an accepted name in WoRMS "
            f"({taxon.status or 'unaccepted'}); the accepted taxon is {taxon.valid_name} "
            f"(AphiaID {taxon.valid_aphia_id})"
        )
    return taxon, ""


def apply_to_labels(image_set: ImageSet, name: str, fields: dict) -> int:
    """Set the taxon (or concept) of the labels called `name` in the set's draft label sets."""
    label_sets = Labelling.objects.filter(image_set=image_set).values("label_set")
    return Label.objects.filter(
        label_set__in=label_sets, label_set__state=LabelSet.State.DRAFT, name=name
    ).update(**fields)


def retry_pending(*, client: WormsClient | None = None) -> dict:
    """Ask WoRMS again about every pending name; apply those it now settles."""
    pending = TaxonQuestion.objects.filter(
        kind=TaxonQuestion.Kind.PENDING, state=TaxonQuestion.State.OPEN
    ).select_related("image_set")
    names = sorted({question.name for question in pending})
    matches = match_names(names, client=client) if names else {}
    report = {"pending": len(names), "matched": 0, "questions": 0, "still_pending": 0}
    for question in pending:
        match = matches[question.name]
        if match.resolved:
            apply_to_labels(question.image_set, question.name, match.label_fields())
            question.delete()
            report["matched"] += 1
        elif match.kind == TaxonQuestion.Kind.PENDING:
            report["still_pending"] += 1
        else:
            question.kind, question.candidates = match.kind, match.candidates
            question.save(update_fields=["kind", "candidates"])
            report["questions"] += 1
    return report
