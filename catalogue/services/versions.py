"""New versions, as Zenodo makes them: a draft of the next version of a published
set, with its metadata and its images, without copying a byte of the files (the
new rows name the same stored originals and thumbnails). Publishing the draft
gives it its own DOI under the concept every version shares."""

from __future__ import annotations

import re

from django.db import transaction

from catalogue import access
from catalogue.access import Action
from catalogue.formats.common import landing_url
from catalogue.models import Image, ImageSet, State
from catalogue.search import outbox

# What a new version takes over from the one it follows; the rest is its own
# (identity, state, DOI, revision, dates) or set below.
COPIED_FIELDS = (
    "title",
    "description",
    "creators",
    "licence",
    "access",
    "embargo_until",
    "keywords",
    "taxa",
    "west",
    "south",
    "east",
    "north",
    "polygon",
    "time_start",
    "time_end",
    "depth_min",
    "depth_max",
    "derived_coverage",
    "platform",
    "instrument",
    "modality",
    "research_infrastructure",
    "funding",
    "owner",
    "concept_uuid",
    "concept_doi",
)
IMAGE_FIELDS = (
    "file_name",
    "storage_key",
    "sha256",
    "size",
    "media_type",
    "width",
    "height",
    "frames",
    "mode",
    "captured_at",
    "latitude",
    "longitude",
    "depth",
    "exif",
    "thumbnail_small",
    "thumbnail_medium",
    "fields",
)
VERSION_RELATIONS = {"IsNewVersionOf", "IsPreviousVersionOf"}


def next_version_label(label: str) -> str:
    """"1.2.3" -> "1.2.4", "v2" -> "v3", "" -> "2" (an unnamed first version is 1)."""
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
    rows = image_set.images.order_by("pk").values(*IMAGE_FIELDS)
    images = Image.objects.bulk_create(
        [Image(image_set=draft, **row) for row in rows], batch_size=1000
    )
    outbox.record("set", [draft.pk])
    outbox.record("image", [image.pk for image in images])
    return draft
