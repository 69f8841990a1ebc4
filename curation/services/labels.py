"""Writes to label sets: create, add and change labels, publish, next version
(add, rename, merge, retire, with the mapping kept), and choosing the label set
an image set's annotations use.

A label set belongs to its owner (and staff); a published version is immutable.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalogue import access
from catalogue.access import Action
from catalogue.errors import Immutable, NotAllowed, WrongState
from catalogue.models import ImageSet
from catalogue.services.taxa import known_label_taxa
from curation.models import Annotation, Label, Labelling, LabelSet

LABEL_FIELDS = ("name", "parent", "aphia_id", "concept", "colour", "shortcut", "retired")
IMMUTABLE = (
    "This label set version is published and immutable: make a new version to add, "
    "rename, merge or retire labels."
)


def require_owner(actor, label_set: LabelSet) -> None:
    if not (access.is_staff(actor) or (access.signed_in(actor) and label_set.owner_id == actor.pk)):
        raise NotAllowed("Only the label set's owner and staff may change it.")


def require_draft(actor, label_set: LabelSet) -> None:
    require_owner(actor, label_set)
    if label_set.state != LabelSet.State.DRAFT:
        raise Immutable(IMMUTABLE)


def _clean_labels(label_set: LabelSet, specs: list[dict]) -> list[Label]:
    """Label rows from `specs` ({name, parent (a name), aphia_id, concept, colour,
    shortcut}), every problem named as labels.<index>.<field>."""
    problems: dict[str, list[str]] = {}
    names = [str(spec.get("name") or "").strip() for spec in specs]
    existing = set(label_set.labels.values_list("name", flat=True)) if label_set.pk else set()
    labels = []
    # Names the taxon table settles get their AphiaID (or concept) when none is given.
    known = known_label_taxa(
        name
        for name, spec in zip(names, specs, strict=True)
        if name and not spec.get("aphia_id") and not spec.get("concept")
    )
    for index, spec in enumerate(specs):
        unknown = set(spec) - set(LABEL_FIELDS)
        if unknown:
            problems[f"labels.{index}"] = [f"unknown field(s): {', '.join(sorted(unknown))}"]
        name = names[index]
        if names.count(name) > 1 or name in existing:
            problems[f"labels.{index}.name"] = [f"the label {name!r} is already in this set"]
        parent = spec.get("parent")
        if parent and parent not in names and parent not in existing:
            problems[f"labels.{index}.parent"] = [f"no label {parent!r} in this set"]
        label = Label(
            label_set=label_set,
            name=name,
            aphia_id=spec.get("aphia_id") or known.get(name, {}).get("aphia_id"),
            concept=spec.get("concept") or known.get(name, {}).get("concept") or "",
            colour=spec.get("colour") or "#1f77b4",
            shortcut=spec.get("shortcut") or "",
        )
        try:
            label.full_clean(exclude=["label_set", "parent"], validate_unique=False)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                problems.setdefault(f"labels.{index}.{field}", []).extend(messages)
        labels.append(label)
    shortcuts = [label.shortcut for label in labels if label.shortcut]
    taken = set(label_set.labels.exclude(shortcut="").values_list("shortcut", flat=True))
    for index, label in enumerate(labels):
        if label.shortcut and (shortcuts.count(label.shortcut) > 1 or label.shortcut in taken):
            problems.setdefault(f"labels.{index}.shortcut", []).append(
                f"the shortcut {label.shortcut!r} is taken"
            )
    if problems:
        raise ValidationError(problems)
    return labels


def _save_labels(label_set: LabelSet, labels: list[Label], specs: list[dict]) -> list[Label]:
    for label in labels:
        label.save()
    by_name = {label.name: label for label in label_set.labels.all()}
    for label, spec in zip(labels, specs, strict=True):
        if spec.get("parent"):
            label.parent = by_name[spec["parent"]]
            label.save(update_fields=["parent"])
    return labels


@transaction.atomic
def create_label_set(
    *, actor, name: str, description: str = "", labels: Iterable[dict] = ()
) -> LabelSet:
    access.require_signed_in(actor, "create label sets")
    label_set = LabelSet(
        name=(name or "").strip(),
        description=description,
        owner=actor if actor.pk is not None else None,
    )
    label_set.full_clean()
    label_set.save()
    specs = list(labels)
    _save_labels(label_set, _clean_labels(label_set, specs), specs)
    return label_set


@transaction.atomic
def add_labels(*, actor, label_set: LabelSet, labels: Iterable[dict]) -> list[Label]:
    require_draft(actor, label_set)
    specs = list(labels)
    return _save_labels(label_set, _clean_labels(label_set, specs), specs)


@transaction.atomic
def change_label(*, actor, label: Label, **changes) -> Label:
    require_draft(actor, label.label_set)
    unknown = set(changes) - set(LABEL_FIELDS)
    if unknown:
        raise ValidationError({field: ["not a label field"] for field in unknown})
    for field, value in changes.items():
        setattr(label, field, value)
    label.full_clean()
    label.save()
    return label


@transaction.atomic
def publish_label_set(*, actor, label_set: LabelSet) -> LabelSet:
    require_draft(actor, label_set)
    if not label_set.labels.exists():
        raise ValidationError({"labels": ["a label set needs at least one label to publish"]})
    label_set.state = LabelSet.State.PUBLISHED
    label_set.published = timezone.now()
    label_set.save(update_fields=["state", "published", "updated"])
    return label_set


@transaction.atomic
def new_label_set_version(
    *,
    actor,
    label_set: LabelSet,
    rename: dict[str, str] | None = None,
    merge: dict[str, list[str]] | None = None,
    retire: Iterable[str] = (),
    add: Iterable[dict] = (),
) -> LabelSet:
    """The next version of a published label set. `rename` maps old -> new name,
    `merge` new name -> the old names it replaces, `retire` lists labels kept
    for old annotations but closed to new ones; every label of the new version
    names the labels it continues (`derived_from`)."""
    require_owner(actor, label_set)
    if label_set.state != LabelSet.State.PUBLISHED:
        raise WrongState("Publish this label set version before making the next one.")
    if label_set.next_versions.exists():
        raise WrongState("A newer version of this label set exists: make the next one from it.")
    rename, merge, retire = dict(rename or {}), dict(merge or {}), set(retire)
    old = {label.name: label for label in label_set.labels.all()}
    merged = {name for names in merge.values() for name in names}
    unknown = (set(rename) | merged | retire) - set(old)
    if unknown:
        raise ValidationError({"labels": [f"no label {name!r} in {label_set}" for name in unknown]})
    kept = [rename.get(name, name) for name in old if name not in merged]
    if clashes := sorted({name for name in kept if kept.count(name) > 1}):
        raise ValidationError(
            {"rename": [f"two labels would be named {name!r}" for name in clashes]}
        )
    draft = LabelSet.objects.create(
        concept_uuid=label_set.concept_uuid,
        name=label_set.name,
        version=label_set.version + 1,
        description=label_set.description,
        previous_version=label_set,
        owner=label_set.owner,
    )
    copies: dict[str, Label] = {}
    for name, label in old.items():
        if name in merged:
            continue
        copy = Label.objects.create(
            label_set=draft,
            name=rename.get(name, name),
            aphia_id=label.aphia_id,
            concept=label.concept,
            colour=label.colour,
            shortcut=label.shortcut,
            retired=label.retired or name in retire,
        )
        copy.derived_from.add(label)
        copies[name] = copy
    for new_name, sources in merge.items():
        target = next((c for c in copies.values() if c.name == new_name), None)
        if target is None:
            first = old[sources[0]]
            target = Label.objects.create(
                label_set=draft, name=new_name, aphia_id=first.aphia_id, colour=first.colour
            )
        target.derived_from.add(*(old[name] for name in sources))
    for name, label in old.items():  # parents follow their copies
        parent = label.parent
        if parent is not None and name in copies and parent.name in copies:
            copies[name].parent = copies[parent.name]
            copies[name].save(update_fields=["parent"])
    specs = list(add)
    _save_labels(draft, _clean_labels(draft, specs), specs)
    return draft


@transaction.atomic
def use_label_set(*, actor, image_set: ImageSet, label_set: LabelSet) -> None:
    """Make `image_set`'s annotations use `label_set`. Moving to a later version of
    the same label set relabels the annotations along the versions' mapping;
    moving elsewhere is refused while annotations exist."""
    access.require(actor, Action.EDIT, image_set)
    labelling = Labelling.objects.select_for_update().filter(image_set=image_set).first()
    if labelling is None:
        Labelling.objects.create(image_set=image_set, label_set=label_set)
        return
    current = labelling.label_set
    if current.pk == label_set.pk:
        return
    annotations = Annotation.objects.filter(image__image_set=image_set)
    if annotations.exists():
        if label_set.concept_uuid != current.concept_uuid or label_set.version < current.version:
            raise ValidationError(
                {
                    "label_set": [
                        f"this set's annotations use {current}; only a later version "
                        "of it may replace it"
                    ]
                }
            )
        for old_id, new_id in mapping(current, label_set).items():
            annotations.filter(label_id=old_id).update(label_id=new_id)
    labelling.label_set = label_set
    labelling.save()


def mapping(older: LabelSet, newer: LabelSet) -> dict[int, int]:
    """Label ids of `older` -> the label of `newer` that continues each (through
    every version between); labels with no continuation are left out."""
    chain = {label.pk: label.pk for label in older.labels.all()}
    version = older
    while version.pk != newer.pk:
        following = version.next_versions.first()
        if following is None:
            return {}
        step = dict(
            Label.derived_from.through.objects.filter(to_label__label_set=version).values_list(
                "to_label_id", "from_label_id"
            )
        )
        chain = {start: step[now] for start, now in chain.items() if now in step}
        version = following
    return chain
