"""Reads of the curator pages, built on catalogue.selectors (which decides access)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from catalogue import selectors
from catalogue.models import ImageSet


def my_image_sets(user) -> QuerySet[ImageSet]:
    """The sets `user` owns or curates (staff: every set), newest first, with image counts."""
    sets = selectors.visible_image_sets(user)
    if not user.is_staff:
        mine = ImageSet.objects.filter(Q(owner=user) | Q(curators=user)).values("pk")
        sets = sets.filter(pk__in=mine)
    return (
        sets.select_related("owner")
        .annotate(image_count=Count("images"))
        .order_by("-updated", "-pk")
    )


def image_set_for(user, uuid) -> ImageSet | None:
    """The set with this uuid if `user` may see it, else None (it does not exist for them)."""
    return selectors.visible_image_sets(user).filter(uuid=uuid).first()
