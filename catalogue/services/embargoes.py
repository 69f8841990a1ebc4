"""Embargo ends: a set whose embargo date has come is opened through the services.

Access already lapses at read time (catalogue/access.py compares the date), but a
lapse nobody writes leaves search documents, OAI-PMH datestamps and cached answers
as they were; opening the set through `update_image_set` bumps its revision, its
`updated` datestamp and its images' documents, as any change of access does.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.models import EMBARGOES, Access, ImageSet
from catalogue.services.image_sets import update_image_set


def ended_embargoes(today: date | None = None):
    today = today or timezone.localdate()
    return ImageSet.objects.filter(access__in=EMBARGOES, embargo_until__lte=today)


def lift_ended_embargoes(today: date | None = None) -> list[str]:
    """Open every set whose embargo has ended; returns their uuids. Idempotent: a set
    already opened is no longer found, and each set is opened under its row lock."""
    lifted = []
    for pk in ended_embargoes(today).values_list("pk", flat=True):
        with transaction.atomic():
            image_set = (
                ended_embargoes(today).select_for_update(skip_locked=True).filter(pk=pk).first()
            )
            if image_set is None:
                continue
            update_image_set(image_set, actor=SYSTEM, access=Access.OPEN, embargo_until=None)
            lifted.append(str(image_set.uuid))
    return lifted
