"""Reads of the catalogue, filtered by catalogue.access.

Every path that shows a set or an image (pages, API, search, OAI-PMH,
exports, files, thumbnails) reads through these functions, and they take the
rule of who may see what from catalogue/access.py only.
"""

from __future__ import annotations

from django.db.models import QuerySet

from catalogue import access
from catalogue.access import Action
from catalogue.models import Image, ImageSet
from catalogue.search import get_backend, taxon_queries
from catalogue.search.query import QueryError


def visible_image_sets(user=None) -> QuerySet[ImageSet]:
    return ImageSet.objects.filter(access.orm_filter(user, Action.VIEW))


def visible_images(user=None) -> QuerySet[Image]:
    """Images whose files `user` may read: an image of a set whose files are under
    embargo is not listed to those who may see the set's metadata only."""
    readable = ImageSet.objects.filter(access.orm_filter(user, Action.READ_FILES))
    return Image.objects.filter(image_set__in=readable.values("pk"))


def can_read_files(user, image_set: ImageSet) -> bool:
    """Whether `user` may read the set's images and files now."""
    return access.allowed(user, Action.READ_FILES, image_set)


def can_edit_image_set(user, image_set: ImageSet) -> bool:
    """Whether `user` holds a role that may change the set (its state aside)."""
    return access.allowed(user, Action.EDIT, image_set)


def image_set_for(user, action: Action = Action.VIEW, **lookup) -> ImageSet:
    """The set `lookup` names, if `user` may do `action` to it now; otherwise
    NotVisible, NotAllowed or Immutable (catalogue.errors)."""
    image_set = visible_image_sets(user).filter(**lookup).first()
    if image_set is None:
        raise access.NotVisible(access.REASONS[Action.VIEW])
    access.require(user, action, image_set)
    return image_set


def search_visibility(user=None) -> access.Visibility:
    """The access rule, as data for the search backends."""
    return access.visibility_of(user)


def search_catalogue(user, query, backend=None):
    """Search sets or images as `user` may see them, on the configured backend."""
    backend = backend or get_backend()
    result = backend.search(query.validate(), search_visibility(user))
    # The taxa the text names and the taxon facet's tree: from the Taxon table, the
    # same whichever backend answered.
    return taxon_queries.annotate(query.text, query.facets, result)


def search_suggestions(user, prefix: str, limit: int = 10, backend=None) -> list[str]:
    if "\x00" in prefix:
        raise QueryError("q", "contains a NUL character")
    backend = backend or get_backend()
    return backend.suggest(prefix, search_visibility(user), limit)


def search_taxon_suggestions(user, prefix: str, limit: int = 10, backend=None) -> list[dict]:
    """Taxa named (scientific, synonym, vernacular) by words starting with `prefix`,
    with rank and vernacular, that sets `user` may see hold."""
    if "\x00" in prefix:
        raise QueryError("q", "contains a NUL character")
    backend = backend or get_backend()
    return taxon_queries.suggest_taxa(backend, prefix, search_visibility(user), limit)
