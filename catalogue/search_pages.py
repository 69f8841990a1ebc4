"""The search pages of the web UI: sets and images.

Plain GET forms: the URL holds the whole state (query, facets, area, ranges,
sort, page token), so a search can be shared and the back button works. What
the caller may see is decided by catalogue/access.py, read through
catalogue.selectors; these views parse, ask, and shape the answer for the
templates.
"""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse

from catalogue import geometry, selectors
from catalogue.models import Access
from catalogue.search import taxon_queries
from catalogue.search.query import FACETS, SORTS, QueryError, query_from_params
from catalogue.search.results import FacetValue

# Parameters a search page understands (the rest of query_from_params' names are
# set by the page itself: kind, facets, page_size).
PAGE_PARAMS = {
    "q",
    *FACETS,
    "bbox",
    "time_from",
    "time_to",
    "depth_min",
    "depth_max",
    "sort",
    "after",
}
SET_FACETS = [
    "taxon",
    "instrument",
    "platform",
    "modality",
    "research_infrastructure",
    "licence",
    "access",
    "source",
    "year",
    "label",
    "predicted",
    "label_status",
    "has_annotations",
]
IMAGE_FACETS = [
    "taxon",
    "label",
    "predicted",
    "label_status",
    "instrument",
    "platform",
    "modality",
    "year",
    "has_annotations",
]
FACET_LABELS = {
    "platform": "Platform",
    "instrument": "Instrument",
    "modality": "Imaging modality",
    "research_infrastructure": "Research infrastructure",
    "licence": "Licence",
    "access": "Access",
    "source": "Source",
    "taxon": "Taxa",
    "label": "Validated label",
    "predicted": "Predicted class",
    "label_status": "Annotation status",
    "year": "Year",
    "has_annotations": "Annotated",
}
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "largest": "Largest first"}
ACCESS_LABELS = dict(Access.choices)
STRIP_SIZE = 6
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
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


def page_params(request) -> QueryDict:
    """The request's search parameters, empty values and foreign names dropped
    (a plain GET form sends every field, filled or not)."""
    params = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        kept = [value for value in values if value.strip() != ""]
        if kept:
            params.setlist(name, kept)
    return params


def parse(params: QueryDict, kind: str, facets: list[str], page_size: int):
    """A SearchQuery from page parameters; QueryError names a bad field."""
    unknown = [name for name in params if name not in PAGE_PARAMS]
    if unknown:
        raise QueryError(unknown[0], "is not a search parameter")
    values = {name: params.getlist(name) for name in params}
    # A date in "to" means the whole of that day.
    if len(values.get("time_to", [])) == 1 and DATE_ONLY.match(values["time_to"][0]):
        values["time_to"] = [values["time_to"][0] + "T23:59:59.999999"]
    values["kind"] = [kind]
    values["facets"] = [",".join(facets)]
    values["page_size"] = [str(page_size)]
    return query_from_params(values)


def url_with(params: QueryDict, **changes) -> str:
    """`?query` of params with some names replaced (None: removed). Paging restarts
    whenever anything else changes."""
    copy = params.copy()
    if "after" not in changes:
        copy.pop("after", None)
    for name, value in changes.items():
        if value is None:
            copy.pop(name, None)
        elif isinstance(value, list):
            copy.setlist(name, value)
        else:
            copy[name] = value
    encoded = copy.urlencode()
    return f"?{encoded}" if encoded else "./"


def facet_display(name: str, value) -> str:
    if name == "access":
        return str(ACCESS_LABELS.get(value, value))
    if name == "has_annotations":
        return "Yes" if value else "No"
    return str(value)


def taxon_parents(user) -> dict[str, str]:
    """Child -> parent name, from the lineages of the sets the caller may see."""
    parents: dict[str, str] = {}
    rows = (
        selectors.visible_image_sets(user)
        .exclude(taxa=[])
        .order_by()
        .values_list("taxa", flat=True)
        .distinct()[:5000]
    )
    for taxa in rows:
        for taxon in taxa or []:
            if not isinstance(taxon, dict) or not taxon.get("scientific_name"):
                continue
            lineage = [n for n in taxon.get("lineage") or [] if isinstance(n, str)]
            path = [*lineage, taxon["scientific_name"]]
            for parent, child in itertools.pairwise(path):
                parents.setdefault(child, parent)
    return parents


def taxon_tree(values: list[dict], parents: dict[str, str]) -> list[dict]:
    """Facet values of taxon_path as a tree by rank (catalogue/search/taxon_queries.py:
    ancestors from the Taxon table, else from the lineages sets state), each node
    keeping its form state (label, checked)."""
    by_value = {v["value"]: v for v in values}
    tree = taxon_queries.facet_tree(
        [FacetValue(v["value"], v["count"]) for v in values], fallback_parents=parents
    )

    def decorate(nodes: list[dict]) -> list[dict]:
        for node in nodes:
            node.update(label=by_value[node["value"]]["label"])
            node.update(checked=by_value[node["value"]]["checked"])
            decorate(node["children"])
        return nodes

    return decorate(tree)


def matched_taxa(params: QueryDict, result) -> list[dict]:
    """The taxa the text names, each with the link that filters by it."""
    return [
        {**match, "filter_url": url_with(params, taxon=[match["name"]])}
        for match in result.matched_taxa
    ]


def build_facets(request, params, query, result, names: list[str]) -> list[dict]:
    facets = []
    for name in names:
        counts = result.facets.get(name, []) if result else []
        selected = [part for v in params.getlist(name) for part in v.split(",") if part]
        values = []
        for item in counts:
            value = item.value
            key = ("true" if value else "false") if name == "has_annotations" else str(value)
            values.append(
                {
                    "value": key,
                    "label": facet_display(name, value),
                    "count": item.count,
                    "checked": key in selected,
                }
            )
        if name != "has_annotations":
            present = {v["value"] for v in values}
            for key in selected:
                if key not in present:
                    values.append(
                        {
                            "value": key,
                            "label": facet_display(name, key),
                            "count": 0,
                            "checked": True,
                        }
                    )
        facet = {
            "name": name,
            "label": FACET_LABELS[name],
            "values": values,
            "selected": selected,
            "clear_url": url_with(params, **{name: None}) if selected else None,
        }
        if name == "taxon" and values:
            facet["tree"] = taxon_tree(values, taxon_parents(request.user))
        facets.append(facet)
    return facets


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


def form_values(request) -> dict:
    """What the form shows: the raw submitted values, so a bad one can be corrected."""
    get = request.GET
    time_to = get.get("time_to", "")
    return {
        "q": get.get("q", ""),
        "bbox": get.get("bbox", ""),
        "time_from": get.get("time_from", "")[:10],
        "time_to": time_to[:10],
        "depth_min": get.get("depth_min", ""),
        "depth_max": get.get("depth_max", ""),
        "sort": get.get("sort", "relevance"),
    }


def run_search(request, *, kind: str, facet_names: list[str], page_size: int) -> dict:
    params = page_params(request)
    context: dict[str, Any] = {
        "form": form_values(request),
        "sorts": [(value, SORT_LABELS[value]) for value in SORTS],
        "error": None,
        "result": None,
        "cards": [],
        "facets": [],
        "params": params,
        "kind": kind,
    }
    try:
        query = parse(params, kind, facet_names, page_size)
        result = selectors.search_catalogue(request.user, query)
    except QueryError as error:
        context["error"] = {"field": error.field, "reason": error.reason}
        return context
    cards = (
        set_cards(request.user, result.hits)
        if kind == "set"
        else image_cards(request.user, result.hits)
    )
    context.update(
        {
            "query": query,
            "result": result,
            "cards": cards,
            "footprints": [card["footprint"] for card in cards],
            "facets": build_facets(request, params, query, result, facet_names),
            "matched_taxa": matched_taxa(params, result),
            "next_url": url_with(params, after=result.next_page) if result.next_page else None,
            "first_url": url_with(params) if query.after else None,
            "clear_bbox_url": url_with(params, bbox=None) if query.bbox else None,
            "clear_all_url": "./" if params else None,
            "active": active_filters(params),
        }
    )
    return context


def active_filters(params: QueryDict) -> list[dict]:
    """Removable chips for the filters in use."""
    chips = []
    for name in params:
        if name in ("after", "sort", "q"):
            continue
        for value in params.getlist(name):
            label = FACET_LABELS.get(name, name.replace("_", " ").capitalize())
            if name == "bbox":
                label = "Area"
            remaining = [v for v in params.getlist(name) if v != value]
            chips.append(
                {
                    "label": label,
                    "value": facet_display(name, value) if name == "access" else value,
                    "remove_url": url_with(params, **{name: remaining or None}),
                }
            )
    return chips


def respond(request, template: str, context: dict):
    status = 400 if context["error"] else 200
    return render(request, template, context, status=status)


def search_page(request):
    """Sets: text, facets (taxa as a tree), area, time and depth, sort, paging."""
    context = run_search(request, kind="set", facet_names=SET_FACETS, page_size=20)
    return respond(request, "catalogue/search.html", context)


def image_search_page(request):
    """Images: a grid filtered by taxon/label, predicted class, time, depth, area."""
    context = run_search(request, kind="image", facet_names=IMAGE_FACETS, page_size=48)
    return respond(request, "catalogue/image_search.html", context)
