"""A card's labels mapped to a label set: the card names the label set
(`aquacat.label_set.uuid`) and may map an output to a label of another name
(`aquacat.label_set.map`, {output: label}); every output must then be a label of
that set that is not retired, and no two outputs the same label. The version's
predictions say the label set's names, so its annotations join that vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from catalogue.errors import NotVisible
from curation.models import LabelSet
from curation.selectors import label_set_for


@dataclass
class Mapping:
    label_set: LabelSet | None = None
    labels: list[str] = field(default_factory=list)  # what predictions say, in output order
    label_map: dict[str, str] = field(default_factory=dict)  # output -> label (all outputs)
    problems: dict[str, str] = field(default_factory=dict)


def map_labels(actor, section: dict) -> Mapping:
    """The label set and the labels the outputs become; unmapped cards keep their
    labels. Assumes the section's shape was checked (card_validation)."""
    outputs = list(section.get("labels") or [])
    wanted = section.get("label_set")
    if not isinstance(wanted, dict):
        return Mapping(labels=outputs)
    try:
        label_set = label_set_for(actor, UUID(str(wanted.get("uuid"))))
    except ValueError:  # not a uuid: card_validation names it
        return Mapping(labels=outputs)
    except NotVisible:
        return Mapping(
            problems={"aquacat.label_set.uuid": "no label set with this uuid (or none you may see)"}
        )
    renames = wanted.get("map") or {}
    mapped = {output: renames.get(output, output) for output in outputs}
    names = {label.name: label for label in label_set.labels.all()}
    unknown = sorted(output for output, name in mapped.items() if name not in names)
    retired = sorted(
        output for output, name in mapped.items() if name in names and names[name].retired
    )
    problems = {}
    described = f"label set {label_set.name!r} v{label_set.version}"
    if unknown:
        problems["aquacat.labels"] = f"not in {described}: {', '.join(unknown)}"
    if retired:
        problems["aquacat.label_set.map"] = f"retired in {described}: {', '.join(retired)}"
    seen: dict[str, str] = {}
    for output, name in mapped.items():
        if name in seen:
            problems["aquacat.label_set.map"] = (
                f"{seen[name]!r} and {output!r} both map to {name!r}"
            )
        seen.setdefault(name, output)
    return Mapping(label_set, [mapped[o] for o in outputs], mapped, problems)
