"""Writes to image sets: create, change, curators, reviewers, delete. Each takes the acting
user (`actor`; `access.SYSTEM` for the portal itself) and enforces
catalogue.access, so no caller can bypass the policy."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction

from catalogue import access
from catalogue.access import SYSTEM, Action
from catalogue.errors import FieldError, NotAllowed
from catalogue.ingest.storing import storage_prefix
from catalogue.models import COVERAGE_PARTS, ImageSet, State
from catalogue.search import outbox
from catalogue.services import revisions, tombstones
from catalogue.services.coverage import COVERAGE_FIELDS, refresh_coverage

# What may still change once a set is published (Action.CHANGE_ACCESS).
ACCESS_FIELDS = {"access", "embargo_until"}


@transaction.atomic
def create_image_set(*, actor, owner=None, curators: Iterable = (), **fields) -> ImageSet:
    """A new draft set owned by `owner` (by default the actor), validated field by
    field. Only the system creates a set in another state (loaders, fixtures)."""
    access.require_signed_in(actor)
    if actor is not SYSTEM:
        if fields.get("state", State.DRAFT) != State.DRAFT:
            raise FieldError("state", "a new set is a draft; publishing makes it published")
        if owner is not None and owner != actor and not access.is_staff(actor):
            raise NotAllowed("Only staff may create a set owned by somebody else.")
        owner = owner or actor
    image_set = ImageSet(owner=owner, **fields)
    image_set.full_clean()
    image_set.save()
    if curators:
        image_set.curators.set(curators)
    outbox.record("set", [image_set.pk])
    return image_set


def action_for_update(fields: dict) -> Action:
    """Changing only who may see a set is allowed on a published set; anything else is
    an edit, which a published set refuses."""
    return Action.CHANGE_ACCESS if fields and set(fields) <= ACCESS_FIELDS else Action.EDIT


@transaction.atomic
def update_image_set(image_set: ImageSet, *, actor, **fields) -> ImageSet:
    """Change fields of a set; coverage a curator states is no longer derived."""
    access.require(actor, action_for_update(fields), image_set)
    if "state" in fields and actor is not SYSTEM:
        raise FieldError("state", "is changed by publishing, not by an edit")
    derived = set(image_set.derived_coverage)
    was_public = access.is_public(image_set)
    for name, value in fields.items():
        setattr(image_set, name, value)
    for part in COVERAGE_PARTS:
        if any(name in fields for name in COVERAGE_FIELDS[part]):
            derived.discard(part)
    image_set.derived_coverage = sorted(derived)
    image_set.full_clean()
    image_set.save()
    refresh_coverage(image_set)
    tombstones.after_change(image_set, was_public)
    # Images carry their set's fields (access, instrument, ...): reindex them too.
    revisions.set_changed(image_set, with_images=True)
    return image_set


@transaction.atomic
def set_curators(image_set: ImageSet, curators: Iterable, *, actor) -> None:
    access.require(actor, Action.MANAGE_CURATORS, image_set)
    image_set.curators.set(curators)
    revisions.set_changed(image_set, with_images=True)


@transaction.atomic
def set_reviewers(image_set: ImageSet, reviewers: Iterable, *, actor) -> None:
    """Who may review (and annotate) the set's annotations. Reviewers see the set
    before it is public, so the set and its images are reindexed."""
    access.require(actor, Action.MANAGE_REVIEWERS, image_set)
    image_set.reviewers.set(reviewers)
    revisions.set_changed(image_set, with_images=True)


@transaction.atomic
def delete_image_set(image_set: ImageSet, *, actor) -> None:
    """Delete a draft set, its images' rows and (after commit) their files."""
    access.require(actor, Action.DELETE, image_set)
    image_ids = list(image_set.images.values_list("pk", flat=True))
    keys = [
        key
        for row in image_set.images.values_list(
            "storage_key", "thumbnail_small", "thumbnail_medium"
        )
        for key in row
        if key
    ] + list(image_set.recordings.values_list("storage_key", flat=True))  # audio, video
    outbox.record("image", image_ids)
    outbox.record("set", [image_set.pk])
    if access.is_public(image_set):
        # Harvesters have it: they learn of the deletion from a tombstone.
        tombstones.bury(image_set)
    image_set.delete()
    prefix = storage_prefix(image_set)

    def delete_files():
        for key in keys:
            if key.startswith(prefix):
                default_storage.delete(key)

    transaction.on_commit(delete_files)
