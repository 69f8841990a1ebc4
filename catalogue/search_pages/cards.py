"""The search pages' result cards: sets (with a strip of thumbnails and highlights made
safe) and images, each with the footprint the map draws."""

from __future__ import annotations

import html
import re

from django.urls import reverse

from catalogue import geometry, selectors
from catalogue.search_pages.facets import ACCESS_LABELS

STRIP_SIZE = 6
ALLOWED_MARKUP = re.compile(r"(</?(?:mark|em)>)")


def safe_fragment(fragment: str) -> str:
    """A highlight fragment with only <mark>/<em> kept as markup; everything else
    is (re-)escaped. Backends escape already; this keeps a page safe whatever a
    backend sends, without escaping twice."""
    parts = ALLOWED_MARKUP.split(fragment or "")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part.replace("em>", "mark>"))
        else:
            out.append(html.escape(html.unescape(part), quote=True))
    return "".join(out)


def set_cards(user, hits) -> list[dict]:
    """Cards for set hits the caller may see (looked up again by the selectors: a
    stale index never shows a set that is no longer visible)."""
    ids = [hit.id for hit in hits]
    sets = {s.pk: s for s in selectors.visible_image_sets(user).filter(pk__in=ids)}
    cards = []
    for hit in hits:
        image_set = sets.get(hit.id)
        if image_set is None:
            continue
        doc = hit.document
        card = card_for_set(user, image_set, doc)
        card["title_html"] = first_fragment(hit.highlights, "title")
        card["description_html"] = first_fragment(hit.highlights, "description")
        card["matched_taxa"] = hit.matched_taxa
        card["footprint"] = {
            "id": hit.id,
            "title": image_set.title,
            "url": card["url"],
            "bbox": doc.get("bbox"),
            "polygon": geometry.outer_ring(doc.get("polygon")) or None,
        }
        cards.append(card)
    return cards


def first_fragment(highlights: dict, name: str) -> str | None:
    fragments = (highlights or {}).get(name) or []
    if not fragments:
        return None
    return " … ".join(safe_fragment(f) for f in fragments)


def card_for_set(user, image_set, doc: dict | None = None) -> dict:
    """One result card (templates/catalogue/_search_card.html) for a set."""
    thumbs = list(
        selectors.visible_images(user)
        .filter(image_set_id=image_set.pk)
        .exclude(thumbnail_small="")
        .order_by("pk")
        .values("pk", "file_name")[:STRIP_SIZE]
    )
    doc = doc or {}
    start = image_set.time_start.date().isoformat() if image_set.time_start else ""
    end = image_set.time_end.date().isoformat() if image_set.time_end else ""
    depth = ""
    if image_set.depth_min is not None or image_set.depth_max is not None:
        low = image_set.depth_min if image_set.depth_min is not None else image_set.depth_max
        high = image_set.depth_max if image_set.depth_max is not None else image_set.depth_min
        depth = f"{low:g}\u2013{high:g} m" if low != high else f"{low:g} m"
    return {
        "id": image_set.pk,
        "title": image_set.title,
        "title_html": None,
        "description": image_set.description,
        "description_html": None,
        "url": reverse("catalogue:set-landing", args=[image_set.uuid]),
        "access": image_set.access,
        "access_label": ACCESS_LABELS.get(image_set.access, image_set.access),
        "licence": image_set.licence,
        "doi": image_set.doi,
        "instrument": image_set.instrument,
        "platform": image_set.platform,
        "image_count": doc.get("image_count", getattr(image_set, "n_images", None)),
        "period": f"{start} \u2013 {end}" if start and end and start != end else start or end,
        "depth": depth,
        "thumbs": thumbs,
    }


def image_cards(user, hits) -> list[dict]:
    ids = [hit.id for hit in hits]
    images = {
        row["pk"]: row
        for row in selectors.visible_images(user)
        .filter(pk__in=ids)
        .values("pk", "thumbnail_small", "remote", "image_set__uuid")
    }
    cards = []
    for hit in hits:
        row = images.get(hit.id)
        if row is None:
            continue
        doc = hit.document
        landing = reverse("catalogue:set-landing", args=[row["image_set__uuid"]])
        depth = doc.get("depth_min")
        cards.append(
            {
                "id": hit.id,
                "file_name": doc.get("file_name") or "",
                "set_title": doc.get("title") or "",
                "url": f"{landing}#image-{hit.id}",
                "thumb": bool(row["thumbnail_small"]),
                # A harvested image not copied here is shown from its source.
                "thumb_url": (
                    reverse("catalogue:image-thumbnail", args=[hit.id, "small"])
                    if row["thumbnail_small"]
                    else (row["remote"] or {}).get("thumbnail_small", "")
                ),
                "time": (doc.get("time_start") or "")[:16].replace("T", " "),
                "depth": f"{depth:g} m" if isinstance(depth, int | float) else "",
                "labels": doc.get("labels") or [],
                "predicted": doc.get("predicted") or [],
                "footprint": {
                    "id": hit.id,
                    "title": doc.get("file_name") or "",
                    "url": f"{landing}#image-{hit.id}",
                    "point": doc.get("point"),
                    "polygons": footprint_rings(doc.get("polygon")),
                },
            }
        )
    return cards


def footprint_rings(footprint: object) -> list | None:
    """The outer ring of each part of an image's footprint (two parts when split at the
    antimeridian), for map.js; None without one."""
    try:
        return [rings[0] for rings in geometry.polygon_parts(footprint)] if footprint else None
    except geometry.GeometryError:
        return None
