"""Bulk review: validate, mark dubious, reject or relabel many annotations at once
(the review grid, `POST /api/v1/annotations/review/`), and undo.

All or nothing: every annotation is checked first (it exists, the actor may
review its set, it has not changed since the revision the reviewer saw, the new
label belongs to the set's label set), then one UPDATE per kind of change and
one bulk insert of review events. Asking again changes nothing (idempotent):
annotations already in the asked state are counted as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalogue import access
from catalogue.access import Action
from catalogue.errors import Changed, NotVisible
from catalogue.models import ImageSet
from catalogue.search import outbox
from curation.models import Annotation, Label, Labelling, ReviewEvent, Status
from curation.services.annotations import actor_or_none

ACTIONS = {
    "validate": (ReviewEvent.Action.VALIDATE, Status.VALIDATED),
    "dubious": (ReviewEvent.Action.DUBIOUS, Status.DUBIOUS),
    "reject": (ReviewEvent.Action.REJECT, Status.REJECTED),
    "relabel": (ReviewEvent.Action.RELABEL, Status.VALIDATED),
}
MAX_IDS = 50_000
COLUMNS = (
    "pk",
    "uuid",
    "image_id",
    "image__image_set_id",
    "label_id",
    "label__name",
    "status",
    "shape",
    "coordinates",
    "confidence",
    "revision",
)


@dataclass
class Outcome:
    changed: int
    unchanged: int
    events: list[int]

    def as_dict(self) -> dict:
        return {"changed": self.changed, "unchanged": self.unchanged, "events": self.events}


def state_of(row: dict) -> dict:
    return {
        "label": row["label_id"],
        "label_name": row["label__name"],
        "status": row["status"],
        "shape": row["shape"],
        "coordinates": row["coordinates"],
        "confidence": row["confidence"],
        "revision": row["revision"],
    }


@transaction.atomic
def review(
    *,
    actor,
    ids: Iterable[int],
    action: str,
    label: Label | None = None,
    revisions: dict[int, int] | None = None,
) -> Outcome:
    """Apply `action` to the annotations `ids`; `revisions` (id -> revision the
    reviewer saw) makes it refuse, with the current states, what changed meanwhile."""
    if action not in ACTIONS:
        raise ValidationError({"action": [f"one of: {', '.join(ACTIONS)}"]})
    if action == "relabel" and label is None:
        raise ValidationError({"label": ["relabel needs the new label"]})
    wanted = sorted(set(ids))
    if not wanted:
        raise ValidationError({"ids": ["no annotation given"]})
    if len(wanted) > MAX_IDS:
        raise ValidationError({"ids": [f"at most {MAX_IDS} annotations per request"]})
    rows = list(
        Annotation.objects.select_for_update(of=("self",))
        .filter(pk__in=wanted)
        .order_by("pk")
        .values(*COLUMNS)
    )
    check(actor, wanted, rows, action, label, revisions or {})
    event_action, status = ACTIONS[action]
    label_id = label.pk if label is not None else None
    changing = [
        row
        for row in rows
        if row["status"] != status or (label_id is not None and row["label_id"] != label_id)
    ]
    if not changing:
        return Outcome(changed=0, unchanged=len(rows), events=[])
    user = actor_or_none(actor)
    now = timezone.now()
    ids_changing = [row["pk"] for row in changing]
    update = {
        "status": status,
        "reviewed_by": user,
        "reviewed_at": now,
        "updated": now,
        "revision": F("revision") + 1,
    }
    if label_id is not None:
        update["label_id"] = label_id
    Annotation.objects.filter(pk__in=ids_changing).update(**update)
    events = ReviewEvent.objects.bulk_create(
        [
            ReviewEvent(
                annotation_id=row["pk"],
                annotation_uuid=row["uuid"],
                image_id=row["image_id"],
                action=event_action,
                actor=user,
                before=state_of(row),
                after={
                    **state_of(row),
                    "status": status.value,
                    "revision": row["revision"] + 1,
                    **({"label": label_id, "label_name": label.name} if label is not None else {}),
                },
                at=now,
            )
            for row in changing
        ],
        batch_size=2000,
    )
    reindex(changing)
    return Outcome(
        changed=len(changing),
        unchanged=len(rows) - len(changing),
        events=[event.pk for event in events if event.pk is not None],
    )


def reindex(rows: list[dict]) -> None:
    """The images changed, and their sets (whose label facets count annotations)."""
    outbox.record("image", sorted({row["image_id"] for row in rows}))
    outbox.record("set", sorted({row["image__image_set_id"] for row in rows}))


def check(actor, wanted, rows, action, label, revisions) -> None:
    """Every reason to refuse the whole request, found before anything is written."""
    found = {row["pk"] for row in rows}
    missing = [pk for pk in wanted if pk not in found]
    sets = ImageSet.objects.in_bulk({row["image__image_set_id"] for row in rows})
    # Asked once per set, not per annotation: a grid's thousands share a set or two.
    unseen = {
        pk for pk, image_set in sets.items() if not access.allowed(actor, Action.VIEW, image_set)
    }
    hidden = [row["pk"] for row in rows if row["image__image_set_id"] in unseen]
    if missing or hidden:
        unknown = ", ".join(str(pk) for pk in (missing + hidden)[:20])
        raise NotVisible(f"No annotation (or none you may see) with id: {unknown}")
    for image_set in sets.values():
        access.require(actor, Action.REVIEW, image_set)
    if label is not None:
        problems = relabel_problems(label, sets)
        if problems:
            raise ValidationError({"label": problems})
    stale = [
        row for row in rows if row["pk"] in revisions and row["revision"] != revisions[row["pk"]]
    ]
    if stale:
        raise Changed(
            f"{len(stale)} annotation(s) changed since you saw them; nothing was changed.",
            [{"id": row["pk"], **state_of(row)} for row in stale],
        )


def relabel_problems(label: Label, sets: dict[int, ImageSet]) -> list[str]:
    if label.retired:
        return [f"label {label.name!r} is retired"]
    used = dict(
        Labelling.objects.filter(image_set__in=list(sets)).values_list(
            "image_set_id", "label_set_id"
        )
    )
    foreign = [
        sets[set_id].title
        for set_id, label_set_id in used.items()
        if label_set_id != label.label_set_id
    ]
    if foreign:
        return [
            f"label {label.name!r} is from the label set {label.label_set}, not the one "
            f"{len(foreign)} set(s) use ({foreign[0]!r} ...)"
        ]
    return []


@transaction.atomic
def undo(*, actor, event_ids: Iterable[int]) -> Outcome:
    """Put annotations back as they were before these review events (the grid's
    undo), refusing when any was changed again since."""
    events = list(
        ReviewEvent.objects.filter(pk__in=set(event_ids)).exclude(before=None).order_by("-pk")
    )
    if not events:
        raise ValidationError({"events": ["no review event to undo"]})
    # Undo puts back the states before the events (newest first, so the oldest wins).
    by_annotation: dict[int, dict] = {}
    revision_after: dict[int, int] = {}
    for event in events:
        if event.annotation_id is not None and event.before and event.after:
            by_annotation[event.annotation_id] = event.before
            revision_after.setdefault(event.annotation_id, event.after["revision"])
    rows = list(
        Annotation.objects.select_for_update(of=("self",))
        .filter(pk__in=list(by_annotation))
        .order_by("pk")
        .values(*COLUMNS)
    )
    check(actor, sorted(by_annotation), rows, "undo", None, revision_after)
    user = actor_or_none(actor)
    now = timezone.now()
    reverts = []
    for row in rows:
        before = by_annotation[row["pk"]]
        Annotation.objects.filter(pk=row["pk"]).update(
            status=before["status"],
            label_id=before["label"],
            shape=before["shape"],
            coordinates=before["coordinates"],
            reviewed_by=user,
            reviewed_at=now,
            updated=now,
            revision=F("revision") + 1,
        )
        reverts.append(
            ReviewEvent(
                annotation_id=row["pk"],
                annotation_uuid=row["uuid"],
                image_id=row["image_id"],
                action=ReviewEvent.Action.REVERT,
                actor=user,
                before=state_of(row),
                after={**before, "revision": row["revision"] + 1},
                at=now,
            )
        )
    created = ReviewEvent.objects.bulk_create(reverts)
    reindex(rows)
    return Outcome(
        changed=len(rows), unchanged=0, events=[event.pk for event in created if event.pk]
    )
