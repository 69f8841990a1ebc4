"""Facet counts in the database index: values of the matching entries, counted.

Keyword fields are counted over their SearchValue rows (through the vendor,
whose planner needs its own query shape), `access` and `has_annotations` over
the entry columns. Ordered as the engines order buckets: most entries first,
then by value.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, QuerySet

from catalogue.search.backends.database.rows import INT_VALUE_FIELDS, VALUE_FIELDS
from catalogue.search.backends.database.vendor import Vendor
from catalogue.search.query import FACETS
from catalogue.search.results import FacetValue

FACET_SIZE = 50
COLUMN_FACETS = ("access", "has_annotations")


def facet_counts(
    entries: QuerySet, names: list[str], vendor: Vendor
) -> dict[str, list[FacetValue]]:
    """The FACET_SIZE most frequent values of each named facet over the entries."""
    fields = {FACETS[name] for name in names}
    counts: dict[str, Counter] = {}
    value_fields = sorted(fields & set(VALUE_FIELDS))
    if value_fields:
        for doc_field, value, n in vendor.value_counts(entries, value_fields):
            if doc_field in INT_VALUE_FIELDS:
                value = int(value)
            counts.setdefault(doc_field, Counter())[value] = n
    for column in COLUMN_FACETS:
        if column in fields:
            grouped = entries.values_list(column).annotate(n=Count("id")).order_by()
            counts[column] = Counter({value: n for value, n in grouped if value != ""})
    return {
        name: [
            FacetValue(value, n)
            for value, n in sorted(
                counts.get(FACETS[name], Counter()).items(),
                key=lambda item: (-item[1], item[0]),
            )[:FACET_SIZE]
        ]
        for name in names
    }
