"""manage.py train: reproducible, evaluated on the held-out split, registered."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import torch
from django.core.management import call_command

from inference.cards import model_card
from inference.models import ModelVersion
from tests.inference.conftest import SHIPPED

pytestmark = pytest.mark.django_db


def test_training_reproduces_the_shipped_weights_and_registers_the_card(tmp_path):
    out = io.StringIO()
    call_command("train", "--weights-dir", str(tmp_path), "--json", stdout=out)
    card = json.loads(out.getvalue())
    written = tmp_path / "flowcam-phytoplankton-1.0.0.pt"
    digest = hashlib.sha256(written.read_bytes()).hexdigest()
    assert digest == card["weights_sha256"]
    # Same seeds, same recipe: the shipped head again. Bytes can differ between
    # CPUs (their float kernels round differently), so compare the tensors.
    retrained, shipped = torch.load(written), torch.load(SHIPPED)
    assert retrained.keys() == shipped.keys()
    for name, tensor in shipped.items():
        difference = (retrained[name] - tensor).abs().max().item()
        assert difference < 1e-3, f"{name} differs from the shipped weights by {difference}"
    assert card["metrics"]["test_images"] == 8 and card["metrics"]["test_accuracy"] >= 0.75
    version = ModelVersion.objects.get(pk=card["registered"]["model_version"])
    assert version.metrics["test_accuracy"] == card["metrics"]["test_accuracy"]
    exported = model_card(version)
    assert exported["aquacat"]["metrics"]["test_accuracy"] >= 0.75
    assert exported["aquacat"]["training"]["seed"] == card["training"]["seed"]
