"""The model card of a version, as JSON.

Top-level names follow AI4OS `ai4-metadata` (v2: metadata_version, title,
summary, description, dates, links, tags, tasks, categories, libraries,
data-type, license) where they fit; what that schema has no field for (labels,
input spec, weights checksum, held-out metrics, training recipe) goes under
`aquacat`, so an AI4OS reader ignores it and an AquaCat reader finds it.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from inference.models import ModelVersion

# Keyed by the stored framework value (`version.framework` is a plain str).
LIBRARIES: dict[str, list[str]] = {
    ModelVersion.Framework.LINEAR_PROBE: ["PyTorch"],
    ModelVersion.Framework.TORCHSCRIPT: ["PyTorch"],
    ModelVersion.Framework.ONNX: ["Other"],  # the schema's list has no ONNX
    ModelVersion.Framework.DEEPAAS: ["Other"],  # the schema's list has no DEEPaaS
    ModelVersion.Framework.FEATURES: ["PyTorch"],
}
# Values of the AI4OS schema's `tasks` list (it has no detection or feature extraction).
TASKS = {
    "classification": "Classification",
    "detection": "Computer Vision",
    "segmentation": "Computer Vision",
    "embedding": "Computer Vision",
}


def model_card(version: ModelVersion) -> dict:
    model = version.model
    links = dict((version.training or {}).get("links") or {})  # an uploaded card's own
    if version.training_data_doi:
        links["dataset"] = f"https://doi.org/{version.training_data_doi}"
    if version.endpoint.get("url"):
        links["source_code"] = version.endpoint["url"]
    links.setdefault("source_code", source_code(version))
    summary = (model.description or model.title or model.name).split(". ")[0][:250]
    return {
        "metadata_version": "2.0.0",
        "title": model.title or model.name,
        "summary": summary,
        "description": "\n\n".join(
            part
            for part in (
                model.description,
                f"Intended use: {model.intended_use}" if model.intended_use else "",
            )
            if part
        ),
        "dates": {
            "created": model.created.date().isoformat(),
            "updated": version.created.date().isoformat(),
        },
        "links": links,
        "tags": ["aquatic imaging", *version.labels[:20]],
        "tasks": [TASKS.get(model.task, model.task)],
        "categories": ["AI4 inference", "AI4 pre trained"],
        "libraries": LIBRARIES.get(version.framework, []),
        "data-type": ["Image"],
        "license": model.licence,
        "aquacat": {
            "name": model.name,
            "version": version.version,
            "task": model.task,
            "framework": version.framework,
            # The model's outputs; `label_set.map` says which label each becomes.
            "labels": outputs(version),
            **label_set_entry(version),
            "input_spec": version.input_spec,
            "weights": {"path": version.weights_path, "sha256": version.weights_sha256},
            "training_data": {
                "doi": version.training_data_doi or None,
                "image_set": str(version.training_image_set.uuid)
                if version.training_image_set
                else None,
            },
            "training": version.training,
            "metrics": version.metrics,
            "intended_use": model.intended_use,
            "authors": model.authors,
        },
    }


def source_code(version: ModelVersion) -> str:
    """Where the code that made a version lives (the AI4OS schema requires it): the
    deployment's SOURCE_CODE_URL, else the version's page here, which shows the
    training recipe."""
    if settings.SOURCE_CODE_URL:
        return settings.SOURCE_CODE_URL
    page = reverse("inference:model-card", args=[version.model.name, version.version])
    return settings.SITE_URL.rstrip("/") + page


def outputs(version: ModelVersion) -> list[str]:
    """The model's own output names in order (the map is one to one; a JSON object's
    key order is not kept by PostgreSQL, the labels' order is)."""
    output_of = {label: output for output, label in version.label_map.items()}
    return [output_of.get(label, label) for label in version.labels]


def label_set_entry(version: ModelVersion) -> dict:
    if version.label_set is None:
        return {}
    label_set = version.label_set
    return {
        "label_set": {
            "uuid": str(label_set.uuid),
            "name": label_set.name,
            "version": label_set.version,
            "map": version.label_map,
        }
    }
