"""A set's other versions, as its landing page lists them: every published version of
its concept the visitor may see (read through `visible_image_sets`, so a version the
visitor may not see is not listed, nor is it the "latest"), newest first."""

from __future__ import annotations

from catalogue.formats import common
from catalogue.models import ImageSet, State
from catalogue.selectors import visible_image_sets


def published_versions(actor, image_set: ImageSet) -> list[ImageSet]:
    """The published versions of `image_set`'s concept `actor` may see, newest first."""
    return list(
        visible_image_sets(actor)
        .filter(concept_uuid=image_set.concept_uuid, state=State.PUBLISHED)
        .order_by("-published", "-pk")
    )


def latest_version(actor, image_set: ImageSet) -> ImageSet | None:
    """The newest published version of the set's concept `actor` may see, or None."""
    versions = published_versions(actor, image_set)
    return versions[0] if versions else None


def versions(actor, image_set: ImageSet) -> dict:
    """What the landing page shows: the list (only when the set has other versions),
    and the newest version when this one is an older published one."""
    found = published_versions(actor, image_set)
    others = [v for v in found if v.pk != image_set.pk]
    rows = [
        {
            "uuid": version.uuid,
            "label": version.version,
            "published": version.published,
            "doi": version.doi,
            "doi_url": common.doi_url(version),
            "current": version.pk == image_set.pk,
        }
        for version in found
    ]
    newest = found[0] if found else None
    newer = (
        newest
        if newest is not None
        and newest.pk != image_set.pk
        and image_set.state == State.PUBLISHED
        and image_set in found
        else None
    )
    return {
        "versions": rows if others else [],
        "newer_version": newer,
        "concept_doi": image_set.concept_doi,
    }
