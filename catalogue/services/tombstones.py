"""OAI-PMH tombstones kept in step with access: a set that stops being public
leaves a tombstone stamped when that happened, so harvesters learn of it; one
that is public again loses it. Called by the other services, never by views."""

from __future__ import annotations

from django.db import transaction
from django.db.models import DateTimeField, F
from django.db.models.functions import Cast
from django.utils import timezone

from catalogue.access import is_public
from catalogue.models import EMBARGOES, ImageSet, OaiTombstone, State
from catalogue.oai.records import set_specs


def after_change(image_set: ImageSet, was_public: bool) -> None:
    """A set was written: leave a tombstone when it stopped being public, drop it when
    it is public again."""
    now_public = is_public(image_set)
    if was_public and not now_public:
        bury(image_set)
    elif now_public:
        OaiTombstone.objects.filter(uuid=image_set.uuid).delete()


def bury(image_set: ImageSet) -> None:
    OaiTombstone.objects.update_or_create(
        uuid=image_set.uuid,
        defaults={
            "datestamp": timezone.now(),
            "set_specs": "|" + "|".join(set_specs(image_set)) + "|",
        },
    )


def release_embargoes() -> int:
    """Stamp sets whose embargo (of the set, or of its files only) has ended since their
    last write, so that incremental harvests (from = last harvest) see them, or see
    that their files opened: their datestamp becomes now."""
    due = ImageSet.objects.filter(
        state=State.PUBLISHED,
        access__in=EMBARGOES,
        embargo_until__lte=timezone.localdate(),
        updated__lt=Cast(F("embargo_until"), DateTimeField()),
    )
    with transaction.atomic():
        uuids = list(due.values_list("uuid", flat=True))
        if uuids:
            now = timezone.now()
            ImageSet.objects.filter(uuid__in=uuids).update(updated=now, revision=F("revision") + 1)
            OaiTombstone.objects.filter(uuid__in=uuids).delete()
    return len(uuids)
