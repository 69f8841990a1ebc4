"""The search pages of the web UI: sets and images.

Plain GET forms: the URL holds the whole state (query, facets, area, ranges,
sort, page token), so a search can be shared and the back button works. What
the caller may see is decided by catalogue/access.py, read through
catalogue.selectors; these views parse, ask, and shape the answer for the
templates.

One module per job, imported one way only (params <- facets <- cards <- views):
`params` (the query string: reading, parsing, links that change it), `facets`
(facets, taxon tree and filter chips for display), `cards` (result cards and
their footprints) and `views` (the two pages).
"""

from __future__ import annotations

from catalogue.search_pages.cards import (
    ALLOWED_MARKUP,
    STRIP_SIZE,
    card_for_set,
    first_fragment,
    footprint_rings,
    image_cards,
    safe_fragment,
    set_cards,
)
from catalogue.search_pages.facets import (
    ACCESS_LABELS,
    FACET_LABELS,
    IMAGE_FACETS,
    SET_FACETS,
    active_filters,
    build_facets,
    facet_display,
    matched_taxa,
    taxon_parents,
    taxon_tree,
)
from catalogue.search_pages.params import (
    DATE_ONLY,
    PAGE_PARAMS,
    form_values,
    page_params,
    parse,
    url_with,
)
from catalogue.search_pages.views import (
    SORT_LABELS,
    image_search_page,
    respond,
    run_search,
    search_page,
)

__all__ = [
    "ACCESS_LABELS",
    "ALLOWED_MARKUP",
    "DATE_ONLY",
    "FACET_LABELS",
    "IMAGE_FACETS",
    "PAGE_PARAMS",
    "SET_FACETS",
    "SORT_LABELS",
    "STRIP_SIZE",
    "active_filters",
    "build_facets",
    "card_for_set",
    "facet_display",
    "first_fragment",
    "footprint_rings",
    "form_values",
    "image_cards",
    "image_search_page",
    "matched_taxa",
    "page_params",
    "parse",
    "respond",
    "run_search",
    "safe_fragment",
    "search_page",
    "set_cards",
    "taxon_parents",
    "taxon_tree",
    "url_with",
]
