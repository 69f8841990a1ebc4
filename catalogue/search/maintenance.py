"""Rebuilding and repairing the search index from the database (the truth)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.db.models import Count, F

from catalogue.models import Image, ImageSet
from catalogue.search import external
from catalogue.search.documents import documents

CHUNK = 1000


def truth(kind: str) -> dict[int, int]:
    """Every id of this kind in the database and the revision its document carries
    (catalogue/search/documents.py: annotation changes count too). Sets kept out of
    search (catalogue/search/external.py) and their images have none."""
    hidden = external.hidden_set_ids()
    if kind == "set":
        sets = ImageSet.objects.exclude(pk__in=hidden).annotate(
            document_revision=F("revision") + Count("images__review_events")
        )
        return dict(sets.values_list("pk", "document_revision"))
    rows = Image.objects.exclude(image_set_id__in=hidden).annotate(
        document_revision=F("revision") + F("image_set__revision") + Count("review_events")
    )
    return dict(rows.values_list("pk", "document_revision"))


def document_batches(kind: str, ids: list[int] | None = None) -> Iterator[list[dict]]:
    model = ImageSet if kind == "set" else Image
    if ids is None:
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        yield list(documents(kind, ids[start : start + CHUNK]))


def rebuild(backend, kind: str, progress: Callable[[int], None] | None = None) -> dict:
    """Build a fresh index of `kind` and swap it in, then repair what changed meanwhile."""
    backend.setup()
    backend.rebuild(kind, document_batches(kind), progress)
    return reconcile(backend, kind)


def reconcile(backend, kind: str, progress: Callable[[int], None] | None = None) -> dict:
    """Compare ids and revisions with the index; index what is missing or stale and
    delete what no longer exists. Safe to run at any time."""
    backend.setup()
    wanted = truth(kind)
    indexed = backend.revisions(kind)
    stale = sorted(i for i, rev in wanted.items() if indexed.get(i) != rev)
    extra = sorted(set(indexed) - set(wanted))
    failures = []
    for batch in document_batches(kind, stale):
        failures += backend.index(kind, batch)
        if progress:
            progress(len(batch))
    if extra:
        backend.delete(kind, extra)
    backend.refresh()
    return {
        "kind": kind,
        "in_database": len(wanted),
        "in_index": len(indexed),
        "repaired": len(stale) - len(failures),
        "deleted": len(extra),
        "failed": [{"id": f.id, "reason": f.reason} for f in failures],
    }
