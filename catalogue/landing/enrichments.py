"""What models found in a set, as its landing page shows it, with provenance."""

from __future__ import annotations

from django.urls import reverse

from catalogue.models import ImageSet


def enrichments(image_set: ImageSet) -> list[dict]:
    """What models found in the set, with where each result came from."""
    out = []
    rows = image_set.enrichments.select_related("model_version__model").order_by(
        "model_version__model__name", "-model_version__created"
    )
    for row in rows:
        version = row.model_version
        summary = row.summary if isinstance(row.summary, dict) else {}
        classes = summary.get("classes")
        if not isinstance(classes, dict):
            classes = {}
        ordered = sorted(classes.items(), key=lambda kv: (-_count(kv[1]), str(kv[0])))
        out.append(
            {
                "model": version.model.name,
                "title": version.model.title or version.model.name,
                "task": version.model.get_task_display(),
                "version": version.version,
                "card_url": reverse(
                    "inference:model-card",
                    kwargs={"model": version.model.name, "version": version.version},
                ),
                "run": row.updated,
                "images": summary.get("images"),
                "predicted_images": summary.get("predicted_images"),
                "embedded_images": summary.get("embedded_images"),
                "share_with_detections": summary.get("share_with_detections"),
                "classes": [{"label": str(k), "count": _count(v)} for k, v in ordered],
            }
        )
    return out


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
