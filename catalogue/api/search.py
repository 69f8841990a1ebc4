"""Search API: sets or images through the catalogue's one query model
(catalogue/search/query.py), and completions of a prefix."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors
from catalogue.api import serializers as s
from catalogue.api.parameters import bounded_integer, read_integer
from catalogue.api.problems import READ_ERRORS, Missing, problems
from catalogue.api.views import ApiMixin
from catalogue.search.query import (
    FACETS,
    LIST_PARAMS,
    MAX_PAGE_SIZE,
    QueryError,
    query_from_params,
)

# The grammar of the parameters that are lists of numbers, for the schema (the query
# model reads them again; ranges, order and closed rings are its checks).
NUMBER = r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?"
WHOLE = r"[0-9]{1,18}"


def listed(item: str, count: str = "*") -> dict:
    """Text of comma-separated `item`s (or empty: no filter)."""
    return {"type": "string", "pattern": rf"^(?:{item}(?:,{item}){count})?$"}


SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="free text"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=["set", "image"], description="default set"),
    *[
        OpenApiParameter(
            name,
            OpenApiTypes.STR,
            description=f"{name}: one or several values, comma-separated (any matches)",
        )
        for name in sorted(LIST_PARAMS)
    ],
    OpenApiParameter("year", listed(WHOLE), description="years, comma-separated"),
    OpenApiParameter("image_set", listed(WHOLE), description="set ids, comma-separated"),
    OpenApiParameter("has_annotations", OpenApiTypes.STR, enum=["true", "false"]),
    OpenApiParameter(
        "bbox",
        listed(NUMBER, "{3}"),
        description="west,south,east,north (WGS84: longitudes -180 to 180, latitudes -90 "
        "to 90, south <= north)",
    ),
    OpenApiParameter(
        "polygon",
        listed(f"{NUMBER},{NUMBER}", "{3,}"),
        description="lon,lat,lon,lat,... a closed ring (the last pair is the first)",
    ),
    OpenApiParameter("time_from", OpenApiTypes.DATETIME, description="ISO 8601, <= time_to"),
    OpenApiParameter("time_to", OpenApiTypes.DATETIME, description="ISO 8601"),
    OpenApiParameter(
        "depth_min", OpenApiTypes.NUMBER, description="metres, positive down, <= depth_max"
    ),
    OpenApiParameter("depth_max", OpenApiTypes.NUMBER, description="metres, positive down"),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=["relevance", "newest", "largest"]),
    bounded_integer("page_size", 1, MAX_PAGE_SIZE, default=20),
    bounded_integer("page", 1, default=1, description="page number (prefer `after`)"),
    OpenApiParameter(
        "after",
        OpenApiTypes.STR,
        description="`next_page` of the previous answer (404 for a token this search did "
        "not make, as for the lists' cursors)",
    ),
    OpenApiParameter(
        "facets", OpenApiTypes.STR, description=f"comma-separated, of: {', '.join(FACETS)}"
    ),
]
INTERNAL_DOCUMENT_FIELDS = ("owner_id", "curator_ids")
# Text and lists given empty are left out, as a form's empty fields; a choice, number
# or moment given empty is an error (the search would otherwise take its default).
TAKES_EMPTY = {*LIST_PARAMS, "q", "year", "image_set", "bbox", "polygon", "facets", "after"}


def search_params(request) -> dict[str, list[str]]:
    params = {}
    for name, values in request.query_params.lists():
        if any(values):
            params[name] = values
        elif name not in TAKES_EMPTY:
            reason = "is empty: give a value, or leave the parameter out"
            raise exceptions.ValidationError({name: [reason]})
    return params


MAX_SUGGESTIONS = 50


class SearchView(ApiMixin, APIView):
    """Search sets or images with the catalogue's one query model."""

    @extend_schema(
        tags=["search"],
        parameters=SEARCH_PARAMETERS,
        responses={200: s.SearchResultSerializer, **problems(*READ_ERRORS)},
    )
    def get(self, request):
        query = query_from_params(search_params(request))
        try:
            result = selectors.search_catalogue(request.user, query)
        except QueryError as error:
            if error.field == "after":  # a next-page token names a page: none here
                raise Missing("after", error.reason) from error
            raise
        links = s.Links(request)
        hits = []
        for hit in result.hits:
            document = {k: v for k, v in hit.document.items() if k not in INTERNAL_DOCUMENT_FIELDS}
            url = links.image_set(hit.id) if hit.kind == "set" else links.image(hit.id)
            hits.append(
                {
                    "id": hit.id,
                    "kind": hit.kind,
                    "score": hit.score,
                    "document": document,
                    "highlights": hit.highlights,
                    "url": url,
                    "matched_taxa": hit.matched_taxa,
                }
            )
        next_url = None
        if result.next_page:
            params = request.query_params.copy()
            params.pop("page", None)
            params["after"] = result.next_page
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response(
            {
                "total": result.total,
                "hits": hits,
                "facets": {
                    name: [{"value": v.value, "count": v.count} for v in values]
                    for name, values in result.facets.items()
                },
                "next_page": result.next_page,
                "next": next_url,
                "matched_taxa": result.matched_taxa,
                "taxon_tree": result.taxon_tree,
            }
        )


class SuggestionsView(ApiMixin, APIView):
    """Completions of a prefix, from what the caller may see."""

    @extend_schema(
        tags=["search"],
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "pattern": r"^[^\x00]*\S[^\x00]*$"},
                required=True,
                description="the prefix (not only spaces)",
            ),
            bounded_integer("limit", 1, MAX_SUGGESTIONS, default=10),
        ],
        responses={200: s.SuggestionsSerializer, **problems(*READ_ERRORS)},
    )
    def get(self, request):
        prefix = request.query_params.get("q", "").strip()
        if not prefix:
            raise exceptions.ValidationError({"q": ["Give a prefix to complete."]})
        limit = read_integer(request.query_params, "limit", 1, MAX_SUGGESTIONS, default=10)
        prefix = prefix[:200]
        return Response(
            {
                "suggestions": selectors.search_suggestions(request.user, prefix, limit),
                "taxa": selectors.search_taxon_suggestions(request.user, prefix, limit),
            }
        )
