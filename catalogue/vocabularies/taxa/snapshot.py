"""The bundled snapshot of WoRMS taxa (snapshot.jsonl, one AphiaRecord a line; its
sources in README.md), loaded into the Taxon table so matching and search work
offline. Rows read from WoRMS since (source "worms") are left as they are."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent / "snapshot.jsonl"
FIELDS = (
    "scientific_name",
    "authority",
    "rank",
    "status",
    "unaccept_reason",
    "valid_aphia_id",
    "valid_name",
    "parent_aphia_id",
    "lineage",
    "vernaculars",
    "environments",
)


@cache
def records() -> tuple[dict, ...]:
    with SNAPSHOT.open(encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines if line.strip())


def load(taxon_model) -> dict:
    """Create or update the snapshot's taxa in `taxon_model` (the model class, or a
    migration's historical model). Returns counts."""
    fetched = set(taxon_model.objects.filter(source="worms").values_list("aphia_id", flat=True))
    rows = [
        taxon_model(source="snapshot", **{"aphia_id": r["aphia_id"], **{f: r[f] for f in FIELDS}})
        for r in records()
        if r["aphia_id"] not in fetched
    ]
    taxon_model.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["aphia_id"],
        update_fields=[*FIELDS, "source"],
    )
    return {"snapshot": len(records()), "loaded": len(rows), "kept_from_worms": len(fetched)}
