"""Fixtures for inference tests: real FlowCam images in a catalogued set, and
the shipped classifier registered as a model version."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache

from catalogue import services
from catalogue.access import SYSTEM
from inference import training
from inference.models import ModelVersion
from inference.services import register_model_version
from inference.services.batches import process_batch
from tests.conftest import ROOT

DEMO = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam"
SHIPPED = ROOT / "inference" / "weights" / "flowcam-phytoplankton-1.0.0.pt"


def demo_images(count: int | None = None) -> list[Path]:
    """Real FlowCam JPEGs, a few of every class, in a stable order."""
    paths = sorted((DEMO / "images").glob("*/*.jpg"))
    if count is None:
        return paths
    by_class: dict[str, list[Path]] = {}
    for path in paths:
        by_class.setdefault(path.parent.name, []).append(path)
    picked: list[Path] = []
    while len(picked) < count:
        for files in by_class.values():
            if files and len(picked) < count:
                picked.append(files.pop(0))
    return picked


def make_set(tmp_path: Path, count: int | None, *, owner=None, title="FlowCam demo", **fields):
    """A published open set of `count` demo images (all with None), ingested from
    `tmp_path`/images; `fields` (state, access, ...) are then saved over it."""
    folder = tmp_path / "images"
    folder.mkdir(parents=True, exist_ok=True)
    for path in demo_images(count):
        (folder / path.parent.name).mkdir(exist_ok=True)
        shutil.copy(path, folder / path.parent.name / path.name)
    image_set = services.create_image_set(
        title=title,
        owner=owner,
        access="open",
        licence="Apache-2.0",
        actor=SYSTEM,
    )
    batch = services.ingest(image_set, [folder], actor=SYSTEM)
    assert batch.added == len(demo_images(count)), batch.rejected
    services.publish_image_set(image_set, actor=SYSTEM)
    if fields:
        for name, value in fields.items():
            setattr(image_set, name, value)
        image_set.save()
    return image_set


def register_shipped(version: str = "1.0.0", weights: Path = SHIPPED, **extra):
    return register_model_version(
        name=training.MODEL_NAME,
        title="FlowCam phytoplankton classifier (demo)",
        task="classification",
        licence="Apache-2.0",
        description="Six phytoplankton classes. A linear head on EfficientNet-Lite0 features.",
        intended_use="Demonstration.",
        version=version,
        framework=ModelVersion.Framework.LINEAR_PROBE,
        labels=training.classes(),
        input_spec=training.INPUT_SPEC,
        weights_path=str(weights),
        weights_sha256=hashlib.sha256(weights.read_bytes()).hexdigest(),
        **extra,
    )


def run_all(job):
    """Run every batch of a job here, in order, as a worker would; the job refreshed."""
    for batch in job.batches.order_by("number"):
        process_batch(batch.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def users(django_user_model):
    """A job's owner, somebody else, and staff."""
    return {
        "owner": django_user_model.objects.create_user("job-owner"),
        "other": django_user_model.objects.create_user("someone-else"),
        "staff": django_user_model.objects.create_user("admin", is_staff=True),
    }


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("curator", password="x")


@pytest.fixture
def classifier(db):
    return register_shipped()


@pytest.fixture(autouse=True)
def fresh_throttles():
    """API rate-limit counters start at zero in every test."""
    cache.clear()
    yield
    cache.clear()
