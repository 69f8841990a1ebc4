"""Reads of the catalogue, and the one place where access is decided.

Every path that shows a set or an image (pages, API, search, OAI-PMH,
exports, files, thumbnails) asks these functions, so they cannot disagree.
A set is public when it is published and open, or published and past its
embargo; its owner, its curators and staff see it in any state.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from catalogue.models import Access, Image, ImageSet, IngestBatch, State


def public_filter(today=None) -> Q:
    today = today or timezone.localdate()
    return Q(state=State.PUBLISHED) & (
        Q(access=Access.OPEN) | Q(access=Access.EMBARGOED, embargo_until__lte=today)
    )


def visible_image_sets(user=None) -> QuerySet[ImageSet]:
    sets = ImageSet.objects.all()
    if user is not None and user.is_authenticated and user.is_staff:
        return sets
    visible = public_filter()
    if user is not None and user.is_authenticated:
        member_of = ImageSet.objects.filter(Q(owner=user) | Q(curators=user)).values("pk")
        visible |= Q(pk__in=member_of)
    return sets.filter(visible)


def visible_images(user=None) -> QuerySet[Image]:
    return Image.objects.filter(image_set__in=visible_image_sets(user).values("pk"))


def can_edit_image_set(user, image_set: ImageSet) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or image_set.owner_id == user.pk:
        return True
    return image_set.curators.filter(pk=user.pk).exists()


def ingest_batches(image_set: ImageSet) -> QuerySet[IngestBatch]:
    return image_set.ingests.all()


def search_visibility(user=None):
    """The access rule above, as data for the search backends (documents carry the
    same fields: state, access, embargo_until, owner_id, curator_ids)."""
    from catalogue.search.query import Visibility

    signed_in = user is not None and user.is_authenticated
    return Visibility(
        everything=bool(signed_in and user.is_staff),
        user_id=user.pk if signed_in else None,
        today=timezone.localdate(),
    )


def search_catalogue(user, query, backend=None):
    """Search sets or images as `user` may see them, on the configured backend."""
    from catalogue.search import get_backend

    backend = backend or get_backend()
    return backend.search(query.validate(), search_visibility(user))


def search_suggestions(user, prefix: str, limit: int = 10, backend=None) -> list[str]:
    from catalogue.search import get_backend
    from catalogue.search.query import QueryError

    if "\x00" in prefix:
        raise QueryError("q", "contains a NUL character")

    backend = backend or get_backend()
    return backend.suggest(prefix, search_visibility(user), limit)
