"""New versions, as Zenodo makes them: a draft of the next version of a published
set, with its metadata and its images, without copying a byte of the files (the
new rows name the same stored originals and thumbnails). Publishing the draft
gives it its own DOI under the concept every version shares."""

from __future__ import annotations

import re

from django.db import transaction

from catalogue import access
from catalogue.access import Action
from catalogue.errors import WrongState
from catalogue.formats.common import landing_url
from catalogue.models import DESCRIPTIVE_FIELDS, Image, ImageSet, State
from catalogue.recordings.services import copy_recordings
from catalogue.search import outbox
from catalogue.signals import version_drafted

# What a new version takes over from the one it follows: its descriptive fields but
# those set below, its owner and its concept; the rest is its own (identity, state,
# DOI, revision, dates).
COPIED_FIELDS = (
    *(name for name in DESCRIPTIVE_FIELDS if name not in {"related_identifiers", "version"}),
    "owner",
    "concept_uuid",
    "concept_doi",
    "derived_coverage",
)
# What a new version's image rows copy from the ones they follow: every column but
# the row's own identity, its set, its revision and its creation time. Taken from the
# model, so a column added to Image is copied too without being listed here again.
IMAGE_FIELDS = tuple(
    field.attname
    for field in Image._meta.concrete_fields
    if field.name not in {"id", "image_set", "revision", "created"}
)
VERSION_RELATIONS = {"IsNewVersionOf", "IsPreviousVersionOf"}


def next_version_label(label: str) -> str:
    """The label after `label`: 1.2.3 gives 1.2.4, v2 gives v3, none gives 2."""
    match = re.search(r"(\d+)(\D*)$", label)
    if not match:
        return "2" if not label else f"{label} (new version)"
    number = int(match.group(1)) + 1
    return f"{label[: match.start(1)]}{number}{match.group(2)}"


def cited_as(image_set: ImageSet) -> dict:
    """How the next version points back at this one: its DOI, else its landing page."""
    if image_set.doi:
        return {"identifier": image_set.doi, "identifier_type": "DOI"}
    return {"identifier": landing_url(image_set), "identifier_type": "URL"}


def draft_of_next_version(image_set: ImageSet) -> ImageSet | None:
    return image_set.next_versions.filter(state=State.DRAFT).first()


@transaction.atomic
def new_version(image_set: ImageSet, *, actor) -> ImageSet:
    """The draft of the version after `image_set` (published). Asking twice gives the
    same draft, as Zenodo does."""
    access.require(actor, Action.NEW_VERSION, image_set)
    ImageSet.objects.select_for_update().filter(pk=image_set.pk).exists()  # one at a time
    existing = draft_of_next_version(image_set)
    if existing is not None:
        return existing
    if image_set.next_versions.exclude(state=State.DRAFT).exists():
        # As Zenodo: versions form a line, each new one made from the latest.
        raise WrongState("A newer version of this set exists: make the new version from it.")
    draft = ImageSet(**{name: getattr(image_set, name) for name in COPIED_FIELDS})
    draft.state = State.DRAFT
    draft.previous_version = image_set
    draft.version = next_version_label(image_set.version)
    draft.related_identifiers = [
        relation
        for relation in image_set.related_identifiers
        if relation.get("relation_type") not in VERSION_RELATIONS
    ] + [{**cited_as(image_set), "relation_type": "IsNewVersionOf"}]
    draft.full_clean()
    draft.save()
    draft.curators.set(image_set.curators.all())
    draft.reviewers.set(image_set.reviewers.all())
    rows = list(image_set.images.order_by("pk").values("id", *IMAGE_FIELDS))
    source_ids = [row.pop("id") for row in rows]
    # Its recordings too, sharing their files; derived images follow their copy.
    copied_recordings = copy_recordings(image_set, draft)
    for row in rows:
        row["recording_id"] = copied_recordings.get(row["recording_id"])
    images = Image.objects.bulk_create(
        [Image(image_set=draft, **row) for row in rows], batch_size=1000
    )
    outbox.record("set", [draft.pk])
    outbox.record("image", [image.pk for image in images])
    pairs = [(source, image.pk) for source, image in zip(source_ids, images, strict=True)]
    version_drafted.send(ImageSet, source=image_set, draft=draft, images=pairs)
    return draft
