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


def test_the_card_reports_cross_validated_scores_and_thresholds(tmp_path):
    out = io.StringIO()
    call_command("train", "--weights-dir", str(tmp_path), "--json", "--no-register", stdout=out)
    metrics = json.loads(out.getvalue())["metrics"]
    cv = metrics["cross_validation"]
    labels = json.loads(out.getvalue())["labels"]
    # Every labelled demo image predicted once, out of fold.
    assert cv["folds"] == 5 and cv["images"] == sum(c["support"] for c in cv["per_class"].values())
    low, high = cv["accuracy_ci95"]
    assert 0 < low <= cv["accuracy"] <= high <= 1
    assert len(cv["accuracy_by_fold"]) == 5
    assert set(cv["per_class"]) == set(labels)
    assert 0 <= cv["calibration"]["ece"] <= 1
    assert sum(b["count"] for b in cv["calibration"]["bins"]) == cv["images"]
    assert set(metrics["thresholds"]) == set(labels)
    for threshold in metrics["thresholds"].values():
        if threshold is not None:
            assert threshold["precision"] >= 0.95 and threshold["above"] >= 5
