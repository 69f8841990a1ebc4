"""Reads of fixity records: the summary for the health page and the admin."""

from __future__ import annotations

from django.db.models import Count, Min

from catalogue.fixity.models import FileCheck
from catalogue.fixity.services import KEY_FIELDS, PROBLEMS

SHOWN_PROBLEMS = 20


def fixity_summary() -> dict:
    """Counts per result, the oldest check, and the files with a problem (with the
    sets whose images or recordings hold them), for operators."""
    counts = dict(
        FileCheck.objects.values("result").annotate(n=Count("pk")).values_list("result", "n")
    )
    problems = FileCheck.objects.filter(result__in=PROBLEMS).order_by("first_problem", "pk")
    shown = []
    for row in problems[:SHOWN_PROBLEMS]:
        sets = sorted(
            {
                str(uuid)
                for model, field in KEY_FIELDS[row.kind]
                for uuid in model._default_manager.filter(**{field: row.storage_key}).values_list(
                    "image_set__uuid", flat=True
                )
            }
        )
        shown.append(
            {
                "key": row.storage_key,
                "kind": row.kind,
                "result": row.result,
                "detail": row.detail,
                "since": row.first_problem.isoformat() if row.first_problem else None,
                "image_sets": sets,
            }
        )
    oldest = FileCheck.objects.aggregate(oldest=Min("checked"))["oldest"]
    return {
        "files": sum(counts.values()),
        "never_checked": counts.get("", 0),
        "results": {key: value for key, value in counts.items() if key},
        "problems": problems.count(),
        "problem_files": shown,
        "oldest_check": oldest.isoformat() if oldest else None,
    }
