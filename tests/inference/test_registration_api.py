"""POST /api/v1/models/: a version registered from its card and weights through the
API, with a token as every API write; the card checked against the AI4OS schema
and ours, the file's format read from its content, the labels mapped to the label
set the card names; every problem at once, nothing stored on any."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import torch
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.urls import reverse
from rest_framework.test import APIClient

from aquacat import tokens
from inference.card_validation import card_problems
from inference.models import AnalyticsModel, ModelVersion, Prediction
from inference.services import start_job
from inference.weights_store import storage_reference
from tests.inference.conftest import make_set, run_all
from tests.inference.registration_support import (
    Brightness,
    card_for,
    checkpoint,
    label_set,
    onnx,
    torchscript,
)

pytestmark = pytest.mark.django_db


def bearer(user, scopes=("read", "write")) -> APIClient:
    name = f"t{user.api_tokens.count()}-{'-'.join(scopes)}"
    _, secret = tokens.create_token(user=user, name=name, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def post(client: APIClient, card, weights: bytes, *, name: str = "weights.bin"):
    parts: dict = {"weights": named(weights, name)}
    if card is not None:
        parts["card"] = named(json.dumps(card).encode(), "card.json")
    return client.post("/api/v1/models/", parts, format="multipart")


def named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def stored(weights: bytes) -> bool:
    return default_storage.exists(storage_reference(hashlib.sha256(weights).hexdigest())[0])


def test_a_token_registers_a_version_whose_labels_map_to_a_label_set(tmp_path, users):
    particles = label_set(["Dark particle", "light", "bubble"])
    weights = torchscript(Brightness())
    card = card_for(
        weights, label_set={"uuid": str(particles.uuid), "map": {"dark": "Dark particle"}}
    )
    response = post(bearer(users["staff"]), card, weights)

    assert response.status_code == 201, response.content
    version = ModelVersion.objects.get(model__name="brightness")
    body = response.json()
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"/api/v1/models/{version.pk}/")
    assert (body["task"], body["framework"], body["version"]) == (
        "classification",
        "torchscript",
        "1.0.0",
    )
    assert version.labels == ["Dark particle", "light"]  # what its predictions say
    assert version.label_set == particles and stored(weights)

    exported = APIClient().get(body["url"]).json()
    assert exported["aquacat"]["labels"] == ["dark", "light"]  # the model's outputs
    assert exported["aquacat"]["label_set"]["uuid"] == str(particles.uuid)
    assert exported["aquacat"]["label_set"]["map"] == {"dark": "Dark particle", "light": "light"}
    assert exported["links"]["source_code"] == "https://example.org/brightness"
    assert card_problems(exported) == {}
    page = APIClient().get(body["page"])
    assert page.status_code == 200 and "Dark particle" in page.text

    image_set = make_set(tmp_path, 3, owner=users["owner"])
    job = run_all(start_job(version, {"image_set": image_set.pk}, users["owner"]))
    said = set(Prediction.objects.filter(job=job).values_list("label", flat=True))
    assert job.state == "done" and said and said <= {"Dark particle", "light"}


def test_every_problem_comes_back_at_once_and_nothing_is_stored(users):
    particles = label_set(["dark", "light"], retired=("light",))
    weights = torchscript(Brightness(gain=21.0))
    card = card_for(
        weights,
        framework="onnx",  # the file is TorchScript
        labels=["dark", "light", "plankton"],
        label_set={"uuid": str(particles.uuid)},
        input_spec={"size": [32]},
    )
    del card["links"]
    response = post(bearer(users["staff"]), card, weights)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert errors == {
        "links": ["is required"],
        "aquacat.framework": ["the weights are torchscript, the card says 'onnx'"],
        "aquacat.input_spec.size": ["[height, width] in pixels is required"],
        "aquacat.labels": ["not in label set 'Particles' v1: plankton"],
        "aquacat.label_set.map": ["retired in label set 'Particles' v1: light"],
    }
    assert not AnalyticsModel.objects.exists() and not stored(weights)


def test_the_format_is_read_from_the_content_not_the_name(users):
    client = bearer(users["staff"])
    weights = onnx(Brightness(), (32, 32))
    response = post(client, card_for(weights, framework="onnx"), weights, name="brightness.pt")
    assert response.status_code == 201, response.content
    assert response.json()["framework"] == "onnx"

    saved = checkpoint(torch.nn.Linear(2, 2))
    refused = post(client, card_for(saved, version="2"), saved, name="brightness.onnx")
    assert refused.json()["errors"] == {
        "weights": ["a PyTorch checkpoint (torch.save), not TorchScript (torch.jit.save)"]
    }
    garbage = b"\x08\x07 not a model at all"
    refused = post(client, card_for(garbage, version="3"), garbage, name="model.onnx")
    assert refused.json()["errors"]["weights"][0].startswith(
        "not a TorchScript archive (the zip torch.jit.save writes) nor an ONNX model"
    )
    scripted = torchscript(Brightness(gain=22.0))
    changed = post(client, card_for(scripted, version="4"), scripted + b"\x00")
    assert changed.json()["errors"]["weights"][0].startswith("the file's sha256 is ")
    assert ModelVersion.objects.count() == 1


def test_who_may_register(users, django_user_model):
    weights = torchscript(Brightness())
    card = card_for(weights)
    assert post(APIClient(), card, weights).status_code in (401, 403)
    assert post(bearer(users["owner"]), card, weights).status_code == 403
    assert post(bearer(users["staff"], scopes=("read",)), card, weights).status_code == 403
    registrar = django_user_model.objects.create_user("registrar")
    registrar.user_permissions.add(Permission.objects.get(codename="register_modelversion"))
    assert post(bearer(registrar), card, weights).status_code == 201
    assert not ModelVersion.objects.exclude(model__name="brightness").exists()


def test_missing_or_unreadable_parts_are_named(users):
    client = bearer(users["staff"])
    response = client.post("/api/v1/models/", {"card": "{not json"}, format="multipart")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"card", "weights"}
    assert errors["card"][0].startswith("not JSON: ")
    weights = torchscript(Brightness())
    response = post(client, ["a", "list"], weights)
    assert response.json()["errors"] == {"card": ["must be an object, not a list"]}
    card = card_for(weights, name=["not", "a", "slug"], training_data="10.1/x", metrics=[1])
    card["aquacat"]["input_spec"] = {"size": [32, 32], "mean": "grey", "std": [0.2, 0, 0.2]}
    card["aquacat"]["weights"] = "sha256"
    response = post(client, card, weights)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "aquacat.name": ["a slug (letters, digits, - and _) is required"],
        "aquacat.weights": ["must be an object"],
        "aquacat.training_data": ["must be an object"],
        "aquacat.metrics": ["must be an object"],
        "aquacat.input_spec.mean": ["a list of numbers, one per channel (std above 0)"],
        "aquacat.input_spec.std": ["a list of numbers, one per channel (std above 0)"],
        "aquacat.weights.sha256": ["64 lowercase hex digits are required"],
    }
    assert not AnalyticsModel.objects.exists()


def test_weights_over_the_limit_are_refused(users, monkeypatch):
    weights = torchscript(Brightness())
    monkeypatch.setattr("inference.services.uploads.MAX_WEIGHTS_BYTES", len(weights) - 1)
    response = post(bearer(users["staff"]), card_for(weights), weights)
    assert response.status_code == 400
    assert response.json()["errors"] == {"weights": [f"the file is over {len(weights) - 1} bytes"]}
    assert not AnalyticsModel.objects.exists()


def test_a_label_set_nobody_may_see_is_no_label_set(users, django_user_model):
    hidden = label_set(["dark", "light"], state="draft", owner=users["other"])
    registrar = django_user_model.objects.create_user("registrar")
    registrar.user_permissions.add(Permission.objects.get(codename="register_modelversion"))
    weights = torchscript(Brightness())
    card = card_for(weights, label_set={"uuid": str(hidden.uuid), "map": {"x": "dark"}})
    response = post(bearer(registrar), card, weights)
    assert response.json()["errors"] == {"aquacat.label_set.map": ["maps what is no output: x"]}
    card["aquacat"]["label_set"] = {"uuid": str(hidden.uuid)}
    response = post(bearer(registrar), card, weights)
    assert response.json()["errors"] == {
        "aquacat.label_set.uuid": ["no label set with this uuid (or none you may see)"]
    }
    assert post(bearer(users["staff"]), card, weights).status_code == 201  # staff see all


def test_the_admin_registers_an_onnx_version_mapped_to_a_label_set(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))
    particles = label_set(["Dark particle", "light"])
    weights = onnx(Brightness(gain=23.0), (32, 32))
    card = card_for(
        weights,
        framework="onnx",
        label_set={"uuid": str(particles.uuid), "map": {"dark": "Dark particle"}},
    )
    url = reverse("admin:inference_modelversion_upload")
    done = client.post(
        url,
        {"card": named(json.dumps(card).encode(), "card.json"), "weights": named(weights, "w")},
    )
    version = ModelVersion.objects.get(model__name="brightness")
    assert done.status_code == 302
    assert (version.framework, version.labels, version.label_set) == (
        "onnx",
        ["Dark particle", "light"],
        particles,
    )
