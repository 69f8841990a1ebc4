"""The search pages' query string: which parameters a page understands, reading them
from a request, turning them into a SearchQuery, and building links that change some."""

from __future__ import annotations

import re

from django.http import QueryDict

from catalogue.search.query import FACETS, QueryError, query_from_params

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
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
