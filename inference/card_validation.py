"""Checking a model card before a version is registered from it (an upload
through the API or the admin): every problem at once, each naming its field.

The card is an AI4OS application metadata document (`ai4-metadata` from PyPI:
the schema of the version its `metadata_version` names) with what that schema
has no field for under `aquacat` (as inference/cards.py writes it): the task,
labels (and the label set they map to), input spec, weights sha256, training-data
DOI, metrics. Free of torch,
so a web process can refuse a bad card before any worker sees the weights.
"""

from __future__ import annotations

import math
import re
from typing import Any
from uuid import UUID

from ai4_metadata import metadata as ai4_metadata
from jsonschema.exceptions import SchemaError

from catalogue.vocabularies import licences
from inference.models import ModelVersion, Task

SHA256 = re.compile(r"^[0-9a-f]{64}$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# Weights that can be uploaded (a DEEPaaS module is registered by its endpoint, with no
# weights); the file's own format is checked against this (inference/weights_format.py).
FRAMEWORKS = [ModelVersion.Framework.TORCHSCRIPT.value, ModelVersion.Framework.ONNX.value]
TASKS = [Task.CLASSIFICATION.value, Task.DETECTION.value, Task.SEGMENTATION.value]


def card_problems(card: Any) -> dict[str, str]:
    """Field path -> why it is refused; empty when the card may be registered."""
    if not isinstance(card, dict):
        return {"card": f"must be an object, not a {type(card).__name__}"}
    problems = ai4os_problems(card)
    problems.update(aquacat_problems(card.get("aquacat")))
    if card.get("license") not in licences():
        problems["license"] = f"{card.get('license')!r} is not an SPDX id we know"
    return problems


def ai4os_problems(card: dict) -> dict[str, str]:
    version = card.get("metadata_version")
    known = [v.value for v in ai4_metadata.MetadataVersions]
    if version not in known:
        return {"metadata_version": f"{version!r} is not one of {', '.join(known)}"}
    try:
        validator = ai4_metadata.get_validator_for_schema(ai4_metadata.get_schema(version))
    except SchemaError as error:  # the package's own schema: not the card's fault
        raise RuntimeError(f"ai4-metadata {version} schema is invalid: {error}") from error
    problems: dict[str, str] = {}
    for problem in validator.iter_errors(card):
        path = [str(part) for part in problem.absolute_path]
        if problem.validator == "required" and isinstance(problem.instance, dict):
            # Named by the missing field itself, not the object that lacks it.
            for name in problem.validator_value:
                if name not in problem.instance:
                    problems.setdefault(".".join([*path, name]), "is required")
            continue
        problems.setdefault(".".join(path) or "card", problem.message)
    return problems


def aquacat_problems(section: Any) -> dict[str, str]:
    if not isinstance(section, dict):
        return {"aquacat": "must be an object with the task, labels and weights"}
    problems: dict[str, str] = {}

    def refuse(field: str, reason: str) -> None:
        problems[f"aquacat.{field}"] = reason

    if not isinstance(section.get("name"), str) or not re.fullmatch(
        r"[-a-zA-Z0-9_]+", section.get("name") or ""
    ):
        refuse("name", "a slug (letters, digits, - and _) is required")
    if not isinstance(section.get("version"), str) or not section["version"].strip():
        refuse("version", "required")
    if section.get("task") not in TASKS:
        refuse("task", f"{section.get('task')!r} is not one of {', '.join(TASKS)}")
    if section.get("framework") not in FRAMEWORKS:
        refuse("framework", f"{section.get('framework')!r} is not one of {', '.join(FRAMEWORKS)}")
    labels = section.get("labels")
    if not isinstance(labels, list) or not labels:
        refuse("labels", "a non-empty list of class names is required")
    elif not all(isinstance(label, str) and label.strip() for label in labels):
        refuse("labels", "every label must be a non-empty string")
    elif len(set(labels)) != len(labels):
        refuse("labels", "labels must be unique")
    problems.update(label_set_problems(section.get("label_set"), labels))
    for name in ("input_spec", "weights", "training_data", "metrics", "training"):
        if section.get(name) is not None and not isinstance(section[name], dict):
            refuse(name, "must be an object")
    spec = part(section, "input_spec")
    size = spec.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(is_pixels(v) for v in size)):
        refuse("input_spec.size", "[height, width] in pixels is required")
    for name in ("mean", "std"):
        values = spec.get(name, [0.5, 0.5, 0.5])
        if not (
            isinstance(values, list)
            and values
            and all(is_number(v) and (name == "mean" or v > 0) for v in values)
        ):
            refuse(f"input_spec.{name}", "a list of numbers, one per channel (std above 0)")
    sha256 = part(section, "weights").get("sha256")
    if not isinstance(sha256, str) or not SHA256.match(sha256):
        refuse("weights.sha256", "64 lowercase hex digits are required")
    doi = part(section, "training_data").get("doi")
    if doi is not None and (not isinstance(doi, str) or not DOI.match(doi)):
        refuse("training_data.doi", f"{doi!r} is not a DOI (10.prefix/suffix)")
    return problems


def part(section: dict, name: str) -> dict:
    """A sub-object of the section, or an empty one where it is missing or no object
    (refused by aquacat_problems), so every check can read it safely."""
    value = section.get(name)
    return value if isinstance(value, dict) else {}


def label_set_problems(label_set: Any, labels: Any) -> dict[str, str]:
    """The shape of `label_set` ({"uuid", "map"?}); its labels are checked against the
    label set itself when the version is registered (inference/label_mapping.py)."""
    if label_set is None:
        return {}
    if not isinstance(label_set, dict):
        return {"aquacat.label_set": 'must be an object: {"uuid": ..., "map": {output: label}}'}
    problems = {}
    try:
        UUID(str(label_set.get("uuid")))
    except ValueError:
        problems["aquacat.label_set.uuid"] = f"{label_set.get('uuid')!r} is not a uuid"
    renames = label_set.get("map", {})
    if not isinstance(renames, dict) or not all(
        isinstance(name, str) and name.strip() for name in renames.values()
    ):
        problems["aquacat.label_set.map"] = "must map outputs to label names (strings)"
    elif isinstance(labels, list) and (stray := sorted(set(renames) - set(labels))):
        problems["aquacat.label_set.map"] = f"maps what is no output: {', '.join(stray)}"
    return problems


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_pixels(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 8192
