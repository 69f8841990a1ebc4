"""FAIR Signposting (https://signposting.org/FAIR/): typed links for machines.

Level 1: Link headers on the landing page and on file responses. Level 2: the
same links, and one per file, as an `application/linkset+json` document. The
`describedby` links are the formats that `catalogue.formats.registry` marks so.
"""

from __future__ import annotations

from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse

from catalogue.formats import common
from catalogue.formats.registry import FORMATS
from catalogue.models import ImageSet


def _abs(base: str, path: str) -> str:
    return urljoin(base, path.lstrip("/"))


def set_links(
    image_set: ImageSet, base: str, *, max_items: int | None = None, files: bool = True
) -> list[dict]:
    """[{"href", "rel", "type"?}] of a set's landing page; its files (`item`) only
    with `files` (for a caller who may read them)."""
    links = [{"href": common.cite_as(image_set, base), "rel": "cite-as"}]
    for creator in image_set.creators:
        orcid = common.orcid_url(creator)
        if orcid:
            links.append({"href": orcid, "rel": "author"})
    for fmt in FORMATS.values():
        if fmt.describedby:
            links.append(
                {
                    "href": common.metadata_url(image_set, fmt.key, base),
                    "rel": "describedby",
                    "type": fmt.media_type,
                }
            )
    links.append({"href": common.licence(image_set)["url"], "rel": "license"})
    links.append({"href": "https://schema.org/Dataset", "rel": "type"})
    links.append({"href": "https://schema.org/AboutPage", "rel": "type"})
    images = image_set.images.order_by("pk").values_list("pk", "media_type")
    if not files:
        images = images.none()
    if max_items is not None:
        images = images[:max_items]
    for pk, media_type in images:
        links.append(
            {
                "href": _abs(base, reverse("catalogue:image-original", kwargs={"pk": pk})),
                "rel": "item",
                "type": media_type,
            }
        )
    links.append(
        {
            "href": _abs(base, reverse("catalogue:set-linkset", kwargs={"uuid": image_set.uuid})),
            "rel": "linkset",
            "type": "application/linkset+json",
        }
    )
    return links


def file_links(image_set: ImageSet, base: str) -> list[dict]:
    """Links of a file (a content resource): the set it belongs to, and its licence."""
    return [
        {"href": common.landing_url(image_set, base), "rel": "collection", "type": "text/html"},
        {"href": common.licence(image_set)["url"], "rel": "license"},
    ]


def metadata_links(image_set: ImageSet, base: str) -> list[dict]:
    """Links of a metadata document (a download or the RO-Crate): the page it describes."""
    return [{"href": common.landing_url(image_set, base), "rel": "describes", "type": "text/html"}]


def link_header(links: list[dict]) -> str:
    """The links as an HTTP Link header value."""
    parts = []
    for link in links:
        part = f'<{link["href"]}> ; rel="{link["rel"]}"'
        if link.get("type"):
            part += f' ; type="{link["type"]}"'
        parts.append(part)
    return " , ".join(parts)


def linkset(image_set: ImageSet, base: str, *, files: bool = True) -> dict:
    """RFC 9264 JSON linkset: the landing page as anchor, every file as an item (with
    `files`: for a caller who may read them)."""
    anchor = common.landing_url(image_set, base)
    grouped: dict[str, list[dict]] = {}
    for link in set_links(image_set, base, files=files):
        if link["rel"] == "linkset":
            continue
        target = {"href": link["href"]}
        if link.get("type"):
            target["type"] = link["type"]
        grouped.setdefault(link["rel"], []).append(target)
    sets = [{"anchor": anchor, **grouped}]
    for described in grouped.get("describedby", []):
        sets.append({"anchor": described["href"], "describes": [{"href": anchor}]})
    return {"linkset": sets}


def max_items() -> int:
    """How many files the landing page's links name (the linkset names them all)."""
    return settings.SIGNPOSTING_MAX_ITEMS
