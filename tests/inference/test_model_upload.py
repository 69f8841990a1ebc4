"""Registering a model version from an uploaded card and TorchScript weights:
the card checked against the AI4OS schema and our section, the file against the
card, everything refused at once; the stored weights run in a job."""

from __future__ import annotations

import copy
import hashlib
import io
import json

import pytest
import torch
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalogue.errors import NotAllowed
from inference.models import AnalyticsModel, ModelVersion, Prediction
from inference.services import start_job
from inference.services.uploads import CardError, register_upload
from inference.weights_store import storage_reference
from tests.inference.conftest import make_set, run_all

pytestmark = pytest.mark.django_db


class Brightness(torch.nn.Module):
    """A TorchScript classifier: "light" or "dark" by the image's mean value."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(1, 2, 3)) - 0.5
        return torch.stack([-mean, mean], dim=1) * 20


def scripted() -> bytes:
    out = io.BytesIO()
    torch.jit.save(torch.jit.script(Brightness()), out)
    return out.getvalue()


def upload_card(weights: bytes, version: str = "1.0.0") -> dict:
    return {
        "metadata_version": "2.0.0",
        "title": "Light or dark",
        "summary": "Says whether a crop is light or dark.",
        "description": "A test classifier on the mean pixel value.",
        "links": {"source_code": "https://example.org/brightness"},
        "libraries": ["PyTorch"],
        "tasks": ["Classification"],
        "categories": ["AI4 inference"],
        "tags": ["test"],
        "license": "Apache-2.0",
        "aquacat": {
            "name": "brightness",
            "version": version,
            "task": "classification",
            "framework": "torchscript",
            "labels": ["dark", "light"],
            "input_spec": {"size": [32, 32], "mean": [0, 0, 0], "std": [1, 1, 1]},
            "weights": {"sha256": hashlib.sha256(weights).hexdigest()},
            "metrics": {"accuracy": 1.0},
        },
    }


def test_staff_registers_a_version_whose_stored_weights_run(tmp_path, users):
    weights = scripted()
    version = register_upload(actor=users["staff"], card=upload_card(weights), weights=weights)
    key, reference = storage_reference(hashlib.sha256(weights).hexdigest())
    assert version.weights_path == reference and default_storage.exists(key)
    assert (version.model.task, version.labels, version.metrics) == (
        "classification",
        ["dark", "light"],
        {"accuracy": 1.0},
    )
    image_set = make_set(tmp_path, 3, owner=users["owner"])
    job = run_all(start_job(version, {"image_set": image_set.pk}, users["owner"]))
    assert job.state == "done"
    assert set(Prediction.objects.filter(job=job).values_list("label", flat=True)) <= {
        "dark",
        "light",
    }
    assert Prediction.objects.filter(job=job).count() == 3


def test_everything_wrong_is_refused_at_once_and_nothing_is_stored(users):
    weights = scripted()
    changed = weights + b"changed"
    card = copy.deepcopy(upload_card(weights))
    card["aquacat"]["labels"] = []
    card["tasks"] = ["Detection"]
    with pytest.raises(CardError) as error:
        register_upload(actor=users["staff"], card=card, weights=changed)
    problems = error.value.problems
    assert set(problems) == {"aquacat.labels", "tasks.0", "weights"}
    assert problems["weights"].startswith("the file's sha256 is ")
    with pytest.raises(CardError, match="not a TorchScript archive"):
        register_upload(actor=users["staff"], card=upload_card(b"{}"), weights=b"{}")
    assert not AnalyticsModel.objects.exists()
    assert not default_storage.exists(storage_reference(hashlib.sha256(changed).hexdigest())[0])


def test_only_staff_register_and_a_version_registers_once(users):
    weights = scripted()
    with pytest.raises(NotAllowed):
        register_upload(actor=users["owner"], card=upload_card(weights), weights=weights)
    register_upload(actor=users["staff"], card=upload_card(weights), weights=weights)
    with pytest.raises(CardError) as error:
        register_upload(actor=users["staff"], card=upload_card(weights), weights=weights)
    assert error.value.problems == {"aquacat.version": "'1.0.0' is already registered"}


def test_the_admin_registers_from_a_card_and_names_each_problem(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin_user)
    url = reverse("admin:inference_modelversion_upload")
    assert url in client.get(reverse("admin:inference_modelversion_changelist")).text
    weights = scripted()
    card = upload_card(weights)
    card["aquacat"]["training_data"] = {"doi": "zenodo-1"}
    page = client.post(url, {"card": as_file(card, "card.json"), "weights": as_file(b"x", "w.pt")})
    assert page.status_code == 200
    assert "aquacat.training_data.doi: &#x27;zenodo-1&#x27; is not a DOI" in page.text
    assert "weights: not a TorchScript archive" in page.text
    assert not AnalyticsModel.objects.exists()

    del card["aquacat"]["training_data"]
    done = client.post(
        url, {"card": as_file(card, "card.json"), "weights": as_file(weights, "w.pt")}
    )
    version = ModelVersion.objects.get(model__name="brightness")
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:inference_modelversion_change", args=[version.pk])


def as_file(content: dict | bytes, name: str) -> SimpleUploadedFile:
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    return SimpleUploadedFile(name, data)
