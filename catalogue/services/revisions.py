"""A set's revision: bumped by every write to it, and carried by its search
documents as their external version, so a late indexing task cannot overwrite
newer data (catalogue/search/outbox.py)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from catalogue.models import ImageSet, SearchOutbox
from catalogue.search import outbox


def set_changed(image_set: ImageSet, *, with_images: bool = False) -> None:
    """Bump a set's revision and queue its document (and its images' documents, which
    carry the set's fields). No actor: called by writes that checked access."""
    with transaction.atomic():
        ImageSet.objects.filter(pk=image_set.pk).update(revision=F("revision") + 1)
        image_set.refresh_from_db(fields=["revision"])
        outbox.record("set", [image_set.pk])
        if with_images:
            outbox.record(SearchOutbox.Kind.SET_IMAGES, [image_set.pk])
