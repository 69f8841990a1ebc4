"""The search page views (sets and images): parse the request, ask the selectors, and
shape the answer for the templates."""

from __future__ import annotations

from typing import Any

from django.shortcuts import render

from catalogue import selectors
from catalogue.search.query import SORTS, QueryError
from catalogue.search_pages.cards import image_cards, set_cards
from catalogue.search_pages.facets import (
    IMAGE_FACETS,
    SET_FACETS,
    active_filters,
    build_facets,
    matched_taxa,
)
from catalogue.search_pages.params import form_values, page_params, parse, url_with

SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "largest": "Largest first"}


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
