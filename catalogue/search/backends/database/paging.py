"""One page of matching entries in the query's order, and where the next one starts.

Relevance (with search words) is ranked by the vendor and paged by offset: the
next-page position is [offset]. Newest and largest are keyset-paged on (value,
object id), both descending: the position is that pair of the page's last entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet

from catalogue.search.backends.database.filters import aware
from catalogue.search.backends.database.vendor import Vendor
from catalogue.search.dbindex import SearchEntry
from catalogue.search.query import QueryError, SearchQuery

FIELDS = ("id", "object_id", "document", "created", "size")


@dataclass
class Page:
    rows: list[dict]  # FIELDS of each entry, in order
    scores: dict[int, float]  # entry id -> score, when ranked by relevance
    next_position: list | None  # None on the last page


def page_of(
    entries: QuerySet, query: SearchQuery, tokens: list[str], position: list | None, vendor: Vendor
) -> Page:
    """The query's page of `entries`: its page number, or the page after `position`."""
    offset = (query.page - 1) * query.page_size
    size = query.page_size + 1  # one more: is there a next page?
    scores: dict[int, float] = {}
    relevance = query.sort == "relevance" and bool(tokens)
    if relevance:
        if position is not None:
            if len(position) != 1 or not isinstance(position[0], int) or position[0] < 0:
                raise QueryError("after", "belongs to another search")
            offset = position[0]
        ranked = vendor.ranked(entries, tokens, offset, size)
        scores = dict(ranked)
        found = {
            row["id"]: row for row in SearchEntry.objects.filter(id__in=scores).values(*FIELDS)
        }
        rows = [found[entry_id] for entry_id, _ in ranked if entry_id in found]
    else:
        key = "size" if query.sort == "largest" else "created"
        ordered = entries.order_by(F(key).desc(), F("object_id").desc())
        if position is not None:
            ordered = ordered.filter(after(key, position))
            offset = 0
        rows = list(ordered.values(*FIELDS)[offset : offset + size])
    if len(rows) <= query.page_size:
        return Page(rows, scores, None)
    rows = rows[: query.page_size]
    last = rows[-1]
    if relevance:
        next_position: list = [offset + query.page_size]
    elif query.sort == "largest":
        next_position = [last["size"], last["object_id"]]
    else:
        next_position = [aware(last["created"]).isoformat(), last["object_id"]]
    return Page(rows, scores, next_position)


def after(key: str, position: list) -> Q:
    """Keyset: rows after the position (value, id) in (key desc, id desc) order."""
    if len(position) != 2 or not isinstance(position[1], int):
        raise QueryError("after", "belongs to another search")
    value, object_id = position
    try:
        value = datetime.fromisoformat(value) if key == "created" else int(value)
    except (TypeError, ValueError) as error:
        raise QueryError("after", "belongs to another search") from error
    return Q(**{f"{key}__lt": value}) | Q(**{key: value, "object_id__lt": object_id})
