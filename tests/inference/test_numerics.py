"""The fastest safe numerics: verified against fp32 on held-out images, recorded on
the card, used by the runner, and fp32 kept when a variant would change results."""

from __future__ import annotations

import hashlib

import pytest
import torch

from inference import runners, training
from inference.models import ModelVersion
from inference.numerics import compare
from inference.numerics.devices import bf16_supported, device_key
from inference.numerics.policy import MAX_SCORE_DRIFT, Numerics, recorded
from inference.numerics.verify import verify_version
from inference.services import register_model_version, start_job
from tests.inference.conftest import demo_images, make_set, run_all

pytestmark = pytest.mark.django_db

CPU = torch.device("cpu")


class NearTie(torch.nn.Module):
    """Two classes whose logits differ by 0.1 %: fp32 always says the second, but
    bf16 keeps 8 bits of mantissa (0.4 % steps), so its logits tie and the first
    index wins (argmax returns the first of equal values)."""

    def __init__(self):
        super().__init__()
        self.head = torch.nn.Linear(1, 2, bias=False)
        with torch.no_grad():
            self.head.weight.copy_(torch.tensor([[1.0], [1.001]]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x.mean(dim=(1, 2, 3)).unsqueeze(1))


def register_near_tie(tmp_path) -> ModelVersion:
    path = tmp_path / "near-tie.pt"
    torch.jit.save(torch.jit.script(NearTie()), str(path))
    return register_model_version(
        name="near-tie",
        task="classification",
        licence="MIT",
        version="1",
        framework=ModelVersion.Framework.TORCHSCRIPT,
        labels=["first", "second"],
        input_spec={"size": [32, 32], "mean": [0, 0, 0], "std": [1, 1, 1], "resize": "pad"},
        weights_path=str(path),
        weights_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def sample(count: int) -> list[bytes]:
    return [path.read_bytes() for path in demo_images(count)]


def test_a_model_whose_top_class_bf16_changes_stays_in_fp32(tmp_path):
    version = register_near_tie(tmp_path)
    entry = verify_version(version, device=CPU, sample=sample(8), precisions=("fp32", "bf16"))
    bf16_rows = [row for row in entry["variants"] if row["precision"] == "bf16"]
    assert bf16_rows and all(not row["passes"] for row in bf16_rows)
    assert all(row["top1_agreement"] < 1.0 for row in bf16_rows)
    assert entry["chosen"]["precision"] == "fp32"
    assert entry["fallback"].startswith("bf16 changes results: top-1 class changed on")

    version.refresh_from_db()
    assert recorded(version, "cpu") == Numerics.from_dict(entry["chosen"])
    runner = runners.runner_for(version)
    assert runner.precision == "fp32" and runner.numerics == recorded(version, "cpu")
    decoded = [runner.decode(data) for data in sample(8)]
    assert {r[0]["label"] for r in runner.predict(decoded)} == {"second"}


def test_the_shipped_classifier_keeps_its_results_in_bf16(classifier):
    classifier.metrics = {"test_accuracy": 0.875}
    classifier.save()
    entry = verify_version(classifier, device=CPU, sample=sample(16), precisions=("fp32", "bf16"))
    assert entry["sample"] == {"images": 16, "source": "given"}
    for row in entry["variants"]:
        assert row["top1_agreement"] == 1.0, row
        assert row["max_score_drift"] <= MAX_SCORE_DRIFT and row["passes"], row
    fp32 = [row for row in entry["variants"] if row["precision"] == "fp32"]
    assert all(row["max_score_drift"] < 1e-4 for row in fp32)
    assert entry["fallback"] == ""
    classifier.refresh_from_db()
    assert classifier.metrics["numerics"]["cpu"]["chosen"] == entry["chosen"]
    assert classifier.metrics["test_accuracy"] == 0.875  # the card's other metrics stay


def test_without_a_record_a_runner_runs_fp32(classifier):
    runner = runners.LinearProbeRunner(classifier, device=CPU)
    assert runner.numerics == Numerics(batch_size=runners.LinearProbeRunner.batch_size)
    assert runner.precision == "fp32"


def test_jobs_run_with_the_recorded_numerics(classifier, tmp_path, owner):
    chosen = {"precision": "bf16", "channels_last": True, "batch_size": 4}
    classifier.metrics = {**classifier.metrics, "numerics": {device_key(CPU): {"chosen": chosen}}}
    classifier.save()
    image_set = make_set(tmp_path, 6, owner=owner)
    job = run_all(start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=6))
    assert job.state == "done" and job.predictions.count() == 6
    runner = runners.runner_for(ModelVersion.objects.get(pk=classifier.pk))
    expected = "bf16" if bf16_supported(CPU) else "fp32"  # no emulated bf16 from a record
    assert runner.precision == expected and runner.batch_size == 4
    assert runner.memory_format == torch.channels_last
    labels = training.classes()
    assert {p.label for p in job.predictions.all()} <= set(labels)


def boxes(*rows) -> dict[str, torch.Tensor]:
    return {
        "boxes": torch.tensor([r[:4] for r in rows], dtype=torch.float32).view(-1, 4),
        "scores": torch.tensor([r[4] for r in rows], dtype=torch.float32),
        "labels": torch.tensor([r[5] for r in rows], dtype=torch.int64),
    }


def test_detector_outputs_are_compared_box_by_box():
    fp32 = [boxes((10, 10, 50, 50, 0.9, 0), (60, 60, 90, 90, 0.5, 1))]
    same = [boxes((60.2, 60, 90, 90.1, 0.51, 1), (10, 10, 50.3, 50, 0.89, 0))]
    assert compare.detection(fp32, same, 0.4)["passes"]
    moved = [boxes((10, 10, 50, 50, 0.9, 0), (66, 66, 96, 96, 0.5, 1))]
    assert "IoU" in " ".join(compare.detection(fp32, moved, 0.4)["problems"])
    relabelled = [boxes((10, 10, 50, 50, 0.9, 0), (60, 60, 90, 90, 0.5, 0))]
    assert compare.detection(fp32, relabelled, 0.4)["matched"] == 1
    under = [boxes((10, 10, 50, 50, 0.9, 0), (60, 60, 90, 90, 0.39, 1))]
    result = compare.detection(fp32, under, 0.4)
    assert not result["passes"] and "2 boxes in fp32, 1 here" in result["problems"][0]


def test_a_crossed_bulk_validation_threshold_refuses_the_variant():
    fp32 = torch.tensor([[0.70, 0.30], [0.10, 0.90]])
    variant = torch.tensor([[0.69, 0.31], [0.11, 0.89]])
    assert compare.classification(fp32, variant, [0.6, 0.8])["passes"]
    result = compare.classification(fp32, variant, [0.7, None])
    assert result["threshold_crossings"] == 1 and not result["passes"]


def test_embeddings_are_compared_by_cosine():
    reference = torch.nn.functional.normalize(torch.rand(4, 8), dim=1)
    assert compare.embedding(reference, reference.clone())["passes"]
    turned = torch.nn.functional.normalize(reference + 0.2 * torch.rand(4, 8), dim=1)
    assert not compare.embedding(reference, turned)["passes"]


def test_the_card_page_shows_the_numerics(client, tmp_path, classifier):
    version = register_near_tie(tmp_path)
    verify_version(version, device=CPU, sample=sample(8), precisions=("fp32", "bf16"))
    page = client.get(f"/models/{version.model.name}/{version.version}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "<h2>Numerics</h2>" in text and 'class="chosen-precision">fp32<' in text
    assert "Kept in fp32: bf16 changes results: top-1 class changed on" in text
    assert "Held-out metrics" in text and ">numerics<" not in text


def test_remote_models_are_not_verified_here():
    version = register_model_version(
        name="remote",
        task="classification",
        licence="MIT",
        version="1",
        framework=ModelVersion.Framework.DEEPAAS,
        labels=["a"],
        endpoint={"url": "http://127.0.0.1:9", "name": "remote"},
    )
    entry = verify_version(version, device=CPU, sample=sample(2))
    assert entry["chosen"] is None and "a remote model" in entry["skipped"]
    version.refresh_from_db()
    assert recorded(version, "cpu") is None
