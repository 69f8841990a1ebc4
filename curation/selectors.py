"""Reads of the curator pages, filtered by catalogue.access."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from catalogue import access
from catalogue.access import Action
from catalogue.models import ImageSet


def my_image_sets(user) -> QuerySet[ImageSet]:
    """The sets `user` may change (owns or curates; staff: every set), newest first,
    with image counts."""
    return (
        ImageSet.objects.filter(access.orm_filter(user, Action.EDIT))
        .select_related("owner")
        .annotate(image_count=Count("images"))
        .order_by("-updated", "-pk")
    )
