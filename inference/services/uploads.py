"""Registering a model version from an uploaded model card and weights file
(the API and the admin call this).

Staff and holders of the "register model versions" permission may register. The
card is checked (inference/card_validation.py: the AI4OS metadata schema and our
`aquacat` section), the file against the card (its sha256 must be the card's; its
format, read from the content, TorchScript or ONNX, must be the card's framework:
inference/weights_format.py) and the labels against the label set the card names
(inference/label_mapping.py). Every problem is reported at once, keyed by field;
nothing is stored unless all is well. The weights (either format) are kept in the
file storage under their sha256 (`models/<sha256>.pt`, referred to as
`storage:models/<sha256>.pt`), where workers on any machine fetch them
(inference/runners.py checks the sha256 again before loading).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from catalogue.errors import NotAllowed
from inference import weights_format
from inference.card_validation import card_problems, part
from inference.label_mapping import Mapping, map_labels
from inference.models import AnalyticsModel, ModelVersion
from inference.numerics.policy import queue_verification
from inference.services.registry import register_model_version
from inference.weights_store import storage_reference

MAX_WEIGHTS_BYTES = 2 * 1024**3


class CardError(ValueError):
    """The card or the weights were refused; `problems` maps field -> reason."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems.items()))
        self.problems = problems


def may_register(actor: Any) -> bool:
    return bool(getattr(actor, "is_staff", False)) or (
        getattr(actor, "is_authenticated", False)
        and actor.has_perm("inference.register_modelversion")
    )


def weights_problems(data: bytes, card: dict) -> dict[str, str]:
    if not data:
        return {"weights": "the file is empty"}
    if len(data) > MAX_WEIGHTS_BYTES:
        return {"weights": f"the file is over {MAX_WEIGHTS_BYTES} bytes"}
    sniffed = weights_format.sniff(data)
    if sniffed.framework is None:
        return {"weights": sniffed.reason}
    given = card.get("aquacat")
    section: dict = given if isinstance(given, dict) else {}
    stated = part(section, "weights").get("sha256")
    digest = hashlib.sha256(data).hexdigest()
    if isinstance(stated, str) and stated != digest:
        return {"weights": f"the file's sha256 is {digest}, the card says {stated}"}
    return weights_format.fit_problems(sniffed, section)


def register_upload(*, actor: Any, card: Any, weights: bytes) -> ModelVersion:
    if not may_register(actor):
        raise NotAllowed("only staff and holders of the register-models permission may")
    problems = card_problems(card)
    mapping = Mapping()
    if isinstance(card, dict):
        for field, reason in weights_problems(weights, card).items():
            problems.setdefault(field, reason)
        given = card.get("aquacat")
        section: dict = given if isinstance(given, dict) else {}
        if not any(field.startswith("aquacat.label") for field in problems):
            mapping = map_labels(actor, section)
            problems.update(mapping.problems)
        name, number = str(section.get("name")), str(section.get("version"))
        if ModelVersion.objects.filter(model__name=name, version=number).exists():
            problems["aquacat.version"] = f"{number!r} is already registered"
        model = AnalyticsModel.objects.filter(name=name).first()
        if model is not None and model.task != section.get("task"):
            problems["aquacat.task"] = f"model {model.name} is a {model.task} model"
    if problems:
        raise CardError(problems)
    section = card["aquacat"]
    digest = hashlib.sha256(weights).hexdigest()
    key, reference = storage_reference(digest)
    with transaction.atomic():
        try:
            version = register_model_version(
                name=section["name"],
                task=section["task"],
                licence=card["license"],
                version=section["version"],
                framework=section["framework"],
                labels=mapping.labels,
                label_set=mapping.label_set,
                label_map=mapping.label_map if mapping.label_set else {},
                title=card["title"],
                description=card["description"],
                input_spec=section["input_spec"],
                weights_path=reference,
                weights_sha256=digest,
                training_data_doi=part(section, "training_data").get("doi") or "",
                metrics=section.get("metrics") or {},
                # The card's links (source code, documentation) come back on the export.
                training={**part(section, "training"), "links": card.get("links") or {}},
            )
        except ValidationError as error:
            raise CardError(
                {f"aquacat.{field}": " ".join(m) for field, m in error.message_dict.items()}
            ) from error
        if not default_storage.exists(key):  # the same weights under two versions: one file
            default_storage.save(key, ContentFile(weights))
        queue_verification(version)  # a worker picks its numerics once this is committed
    return version
