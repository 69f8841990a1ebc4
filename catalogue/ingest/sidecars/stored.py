"""Annotations as ingests kept them in `Image.fields`, read back into records.

Sets ingested before annotations were rows keep their sidecars' annotations
there: an EcoTaxa row's under "annotation" ({"category", "status", "person",
"date"}) and every row of an image with several under "objects"; iFDO's
image-annotations as given. The curation migration turns them into rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from catalogue.ingest.sidecars.ecotaxa import ECOTAXA_STATUS_CODES
from catalogue.ingest.sidecars.ifdo_annotations import read_annotations
from catalogue.ingest.sidecars.records import MAX_LABEL_LENGTH, AnnotationRecord


def stored_records(fields: Any) -> tuple[list[AnnotationRecord], list[str]]:
    """The records of an image's stored annotations, and what could not be read."""
    if not isinstance(fields, dict):
        return [], []
    objects = fields.get("objects")
    raw = fields.get("annotation")
    if isinstance(objects, list) and objects:
        entries = [o.get("annotation") for o in objects if isinstance(o, dict)]
        return [r for entry in entries if (r := _ecotaxa(entry, "fields.objects"))], []
    if isinstance(raw, dict) and "labels" not in raw:
        record = _ecotaxa(raw, "fields.annotation")
        return ([record] if record else []), []
    problems: list[str] = []
    records = read_annotations(raw, fields, "fields", problems)
    return records, problems


def _ecotaxa(entry: Any, where: str) -> AnnotationRecord | None:
    if not isinstance(entry, dict):
        return None
    label = entry.get("category") or entry.get("label") or entry.get("name")
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_LENGTH:
        return None
    status = str(entry.get("status") or "predicted").lower()
    status = ECOTAXA_STATUS_CODES.get(status, status)
    if status == "discarded":  # EcoTaxa's "is not this category": no label to keep
        return None
    when = entry.get("date")
    if isinstance(when, str):
        try:
            when = date.fromisoformat(when[:10])
        except ValueError:
            when = None
    return AnnotationRecord(
        label=label.strip(),
        where=where,
        status=status if status in ("predicted", "validated", "dubious") else "predicted",
        annotator=str(entry.get("person") or "")[:200],
        created_at=(
            datetime(when.year, when.month, when.day, tzinfo=UTC)
            if isinstance(when, date)
            else None
        ),
    )
