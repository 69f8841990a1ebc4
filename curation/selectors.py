"""Reads of the curator pages, filtered by catalogue.access."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from catalogue import access
from catalogue.access import Action
from catalogue.errors import NotVisible
from catalogue.models import ImageSet
from curation.models import Deposit


def my_image_sets(user) -> QuerySet[ImageSet]:
    """The sets `user` may change (owns or curates; staff: every set), newest first,
    with image counts."""
    return (
        ImageSet.objects.filter(access.orm_filter(user, Action.EDIT))
        .select_related("owner")
        .annotate(image_count=Count("images"))
        .order_by("-updated", "-pk")
    )


def visible_deposits(user) -> QuerySet[Deposit]:
    """Deposits of the sets `user` curates (staff: every one)."""
    curated = ImageSet.objects.filter(access.orm_filter(user, Action.SEE_CURATION))
    return Deposit.objects.filter(image_set__in=curated.values("pk")).select_related("image_set")


def deposit_for(user, pk: int) -> Deposit:
    """The deposit `pk` if `user` may follow it; otherwise NotVisible."""
    deposit = visible_deposits(user).filter(pk=pk).first()
    if deposit is None:
        raise NotVisible("No deposit with this id (or none you may see).")
    return deposit
