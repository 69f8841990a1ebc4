"""Registering a model version from an uploaded model card and weights file
(the API and the admin call this).

Only staff may register. The card is checked first (inference/card_validation.py:
the AI4OS metadata schema and our `aquacat` section), then the file against the
card: its sha256 must be the card's and it must be a TorchScript archive.
Every problem is reported at once, keyed by field; nothing is stored unless all
is well. The weights are kept in the file storage under their sha256
(`models/<sha256>.pt`, referred to as `storage:models/<sha256>.pt`), where
workers on any machine fetch them (inference/runners.py checks the sha256
again before loading).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from catalogue.errors import NotAllowed
from inference.card_validation import card_problems
from inference.models import AnalyticsModel, ModelVersion
from inference.services.registry import register_model_version
from inference.weights_store import storage_reference

MAX_WEIGHTS_BYTES = 2 * 1024**3


class CardError(ValueError):
    """The card or the weights were refused; `problems` maps field -> reason."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems.items()))
        self.problems = problems


def weights_problems(data: bytes, card: dict) -> dict[str, str]:
    problems = {}
    if not data:
        problems["weights"] = "the file is empty"
    elif len(data) > MAX_WEIGHTS_BYTES:
        problems["weights"] = f"the file is over {MAX_WEIGHTS_BYTES} bytes"
    elif not zipfile.is_zipfile(io.BytesIO(data)):
        problems["weights"] = "not a TorchScript archive (the zip torch.jit.save writes)"
    stated = ((card.get("aquacat") or {}).get("weights") or {}).get("sha256")
    digest = hashlib.sha256(data).hexdigest()
    if isinstance(stated, str) and stated != digest and "weights" not in problems:
        problems["weights"] = f"the file's sha256 is {digest}, the card says {stated}"
    return problems


def register_upload(*, actor: Any, card: Any, weights: bytes) -> ModelVersion:
    if not getattr(actor, "is_staff", False):
        raise NotAllowed("only staff may register models")
    problems = card_problems(card)
    if isinstance(card, dict):
        problems.update(weights_problems(weights, card))
        section = card.get("aquacat") or {}
        if ModelVersion.objects.filter(
            model__name=section.get("name"), version=section.get("version")
        ).exists():
            problems["aquacat.version"] = f"{section.get('version')!r} is already registered"
        model = AnalyticsModel.objects.filter(name=section.get("name")).first()
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
                labels=section["labels"],
                title=card["title"],
                description=card["description"],
                input_spec=section["input_spec"],
                weights_path=reference,
                weights_sha256=digest,
                training_data_doi=(section.get("training_data") or {}).get("doi") or "",
                metrics=section.get("metrics") or {},
            )
        except ValidationError as error:
            raise CardError(
                {f"aquacat.{field}": " ".join(m) for field, m in error.message_dict.items()}
            ) from error
        if not default_storage.exists(key):  # the same weights under two versions: one file
            default_storage.save(key, ContentFile(weights))
    return version
