"""Forms of a set's labels page: choose the label set its annotations use, make a
new one from lines of text, add labels to a draft one.

A line is `name`, `name, shortcut` or `name, shortcut, aphia_id`; blank lines are
skipped. The form names every bad line by its number, all at once; the services
(curation.services.labels) check again, and their errors, named
labels.<index>.<field>, are put back on their lines (`apply_service_errors`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q, QuerySet

from catalogue import access
from curation.models import Label, LabelSet

LINES_HELP = (
    "One label per line: a name, or “name, shortcut”, or “name, shortcut, AphiaID” "
    "(the WoRMS id of a taxon). A shortcut is one key, used in the review grid and "
    "the editor."
)
MAX_PARTS = 3


@dataclass
class Lines:
    """The labels the lines give, each with its line number, and the bad lines."""

    specs: list[dict] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _model_problems(spec: dict, skip: set[str]) -> list[str]:
    """What the Label model says of a line's fields (lengths, ranges), except `skip`."""
    label = Label(
        name=spec.get("name", ""),
        shortcut=spec.get("shortcut", ""),
        aphia_id=spec.get("aphia_id"),
    )
    exclude = ["label_set", "parent", *sorted(skip)]
    try:
        label.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as error:
        return [
            f"{name.replace('_', ' ')}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def parse_lines(text: str, label_set: LabelSet | None = None) -> Lines:
    """The labels of `text`, one a line, checked against each other and against the
    labels `label_set` has already (its names and shortcuts are taken)."""
    existing = set(label_set.labels.values_list("name", flat=True)) if label_set else set()
    taken = (
        dict(label_set.labels.exclude(shortcut="").values_list("shortcut", "name"))
        if label_set
        else {}
    )
    names: dict[str, int] = {}
    shortcuts: dict[str, int] = {}
    lines = Lines()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip() for part in raw.split(",")]
        name = parts[0]
        shortcut = parts[1] if len(parts) > 1 else ""
        aphia = parts[2] if len(parts) > 2 else ""
        reasons: list[str] = []
        faulty: set[str] = set()
        if len(parts) > MAX_PARTS:
            reasons.append(
                f"{len(parts)} parts separated by commas; give at most three "
                "(name, shortcut, AphiaID)"
            )
        if not name:
            reasons.append("the name is missing")
            faulty.add("name")
        elif name in existing:
            reasons.append(f"the label {name!r} is in this label set already")
            faulty.add("name")
        elif name in names:
            reasons.append(f"the label {name!r} is on line {names[name]} too")
            faulty.add("name")
        else:
            names[name] = number
        if len(shortcut) > 1:
            reasons.append(f"a shortcut is one key, not {shortcut!r}")
            faulty.add("shortcut")
        elif shortcut in taken:
            reasons.append(f"the shortcut {shortcut!r} is taken by the label {taken[shortcut]!r}")
            faulty.add("shortcut")
        elif shortcut in shortcuts:
            reasons.append(f"the shortcut {shortcut!r} is on line {shortcuts[shortcut]} too")
            faulty.add("shortcut")
        elif shortcut:
            shortcuts[shortcut] = number
        spec: dict = {"name": name}
        if shortcut:
            spec["shortcut"] = shortcut
        if aphia:
            if aphia.isascii() and aphia.isdigit() and int(aphia) > 0:
                spec["aphia_id"] = int(aphia)
            else:
                reasons.append(f"the AphiaID {aphia!r} is not a whole number above 0")
                faulty.add("aphia_id")
        reasons.extend(_model_problems(spec, faulty))
        if reasons:
            lines.problems.append(f"Line {number}: {'; '.join(reasons)}.")
        lines.specs.append(spec)
        lines.numbers.append(number)
    return lines


def apply_service_errors(form: forms.Form, error: ValidationError, numbers: list[int]) -> None:
    """Put a service's ValidationError on `form`: labels.<index>.<field> on the labels
    field, named by line number; a form field's own name on it; the rest on the form."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for key, messages in error.message_dict.items():
        parts = key.split(".")
        if parts[0] == "labels" and "labels" in form.fields:
            index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            where = f"Line {numbers[index]}: " if index is not None and index < len(numbers) else ""
            for message in messages:
                form.add_error("labels", f"{where}{message}")
        else:
            target = key if key in form.fields else None
            for message in messages:
                form.add_error(None if key == NON_FIELD_ERRORS else target, message)


class LabelLinesForm(forms.Form):
    """Labels as lines of text, for `label_set` (None: a label set yet to be made)."""

    labels = forms.CharField(
        label="Labels",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=LINES_HELP,
        error_messages={"required": "Give at least one label, one per line."},
    )

    def __init__(self, *args, label_set: LabelSet | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_set = label_set
        self.numbers: list[int] = []

    def clean_labels(self) -> list[dict]:
        lines = parse_lines(self.cleaned_data["labels"], self.label_set)
        if lines.problems:
            raise ValidationError(lines.problems)
        if not lines.specs:
            raise ValidationError("Give at least one label, one per line.")
        self.numbers = lines.numbers
        return lines.specs

    def apply_service_errors(self, error: ValidationError) -> None:
        apply_service_errors(self, error, self.numbers)


class NewLabelSetForm(LabelLinesForm):
    """A new label set (version 1, a draft of the user's) for the image set."""

    name = forms.CharField(
        label="Name of the new label set",
        max_length=LabelSet._meta.get_field("name").max_length,
        help_text="Others see it by this name once it is published.",
    )
    field_order = ["name", "labels"]


class AddLabelsForm(LabelLinesForm):
    """More labels for a draft label set."""


class LabelSetChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        owner = obj.owner.get_username() if obj.owner_id else "nobody"
        return f"{obj.name} v{obj.version} ({obj.get_state_display().lower()}, by {owner})"


def label_sets_to_choose(user, current: LabelSet | None) -> QuerySet[LabelSet]:
    """The label sets `user` may give a set: their own and every published one."""
    choosable = Q(state=LabelSet.State.PUBLISHED)
    if access.signed_in(user) and user.pk is not None:
        choosable |= Q(owner=user.pk)
    rows = LabelSet.objects.filter(choosable).select_related("owner").order_by("name", "-version")
    return rows.exclude(pk=current.pk) if current is not None else rows


class ChooseLabelSetForm(forms.Form):
    label_set = LabelSetChoice(
        queryset=LabelSet.objects.none(),
        label="Label set",
        empty_label=None,
        help_text="Your own label sets and every published one. While the set has "
        "annotations, only a later version of the label set it uses may replace it; "
        "its annotations then follow the versions' mapping.",
    )

    def __init__(self, *args, user=None, current: LabelSet | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        chooser = cast(forms.ModelChoiceField, self.fields["label_set"])
        chooser.queryset = label_sets_to_choose(user, current)

    def apply_service_errors(self, error: ValidationError) -> None:
        apply_service_errors(self, error, [])
