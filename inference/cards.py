"""The model card of a version, as JSON.

Top-level names follow AI4OS `ai4-metadata` (v2: metadata_version, title,
summary, description, dates, links, tags, tasks, categories, libraries,
data-type, license) where they fit; what that schema has no field for (labels,
input spec, weights checksum, held-out metrics, training recipe) goes under
`aquacat`, so an AI4OS reader ignores it and an AquaCat reader finds it.
"""

from __future__ import annotations

from inference.models import ModelVersion

# Keyed by the stored framework value (`version.framework` is a plain str).
LIBRARIES: dict[str, list[str]] = {
    ModelVersion.Framework.LINEAR_PROBE: ["PyTorch"],
    ModelVersion.Framework.TORCHSCRIPT: ["PyTorch"],
    ModelVersion.Framework.DEEPAAS: ["Other"],  # the schema's list has no DEEPaaS
    ModelVersion.Framework.FEATURES: ["PyTorch"],
}
# Values of the AI4OS schema's `tasks` list (it has no detection or feature extraction).
TASKS = {
    "classification": "Classification",
    "detection": "Computer Vision",
    "embedding": "Computer Vision",
}


def model_card(version: ModelVersion) -> dict:
    model = version.model
    links = {}
    if version.training_data_doi:
        links["dataset"] = f"https://doi.org/{version.training_data_doi}"
    if version.endpoint.get("url"):
        links["source_code"] = version.endpoint["url"]
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
            "labels": version.labels,
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
