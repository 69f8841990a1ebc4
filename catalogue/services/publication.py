"""A set's publication: draft -> publishing (frozen while its deposit runs) ->
published, or back to a draft when the repository refuses it.

`start_publication` is the entry point and checks access; the other two are
steps of a deposit (curation/services/publishing.py), taken by the system once
the remote answered, so they take no actor. `publish_image_set` does both at
once, for publishing without a repository (the embedded default) and loaders.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from catalogue import access
from catalogue.access import Action
from catalogue.errors import WrongState
from catalogue.models import ImageSet, State
from catalogue.services import revisions, tombstones


@transaction.atomic
def start_publication(image_set: ImageSet, *, actor) -> ImageSet:
    """Freeze a draft for its deposit: from now on its metadata and files do not change."""
    access.require(actor, Action.PUBLISH, image_set)
    image_set.state = State.PUBLISHING
    image_set.save(update_fields=["state", "updated"])
    revisions.set_changed(image_set, with_images=True)
    return image_set


@transaction.atomic
def complete_publication(image_set: ImageSet, *, doi: str = "", concept_doi: str = "") -> ImageSet:
    """The deposit succeeded: the set is published, with the DOI the repository gave."""
    ImageSet.objects.select_for_update().filter(pk=image_set.pk).exists()  # one at a time
    image_set.refresh_from_db()
    if image_set.state == State.PUBLISHED:
        return image_set  # a repeated step
    if image_set.state != State.PUBLISHING:
        raise WrongState(f"set {image_set.pk} is {image_set.state}, not being published")
    was_public = access.is_public(image_set)
    image_set.state = State.PUBLISHED
    image_set.published = timezone.now()
    if doi:
        image_set.doi = doi
    if concept_doi:
        image_set.concept_doi = concept_doi
    image_set.full_clean()
    image_set.save()
    tombstones.after_change(image_set, was_public)
    revisions.set_changed(image_set, with_images=True)
    return image_set


@transaction.atomic
def abandon_publication(image_set: ImageSet) -> ImageSet:
    """The deposit failed for good: the set is a draft again, to be fixed and retried."""
    ImageSet.objects.select_for_update().filter(pk=image_set.pk).exists()  # one at a time
    image_set.refresh_from_db()
    if image_set.state == State.PUBLISHING:
        image_set.state = State.DRAFT
        image_set.save(update_fields=["state", "updated"])
        revisions.set_changed(image_set, with_images=True)
    return image_set


def publish_image_set(image_set: ImageSet, *, actor) -> ImageSet:
    """Publish without a repository: frozen and published at once, no DOI (the landing
    page is the set's identifier)."""
    with transaction.atomic():
        start_publication(image_set, actor=actor)
        return complete_publication(image_set)
