"""The database search backend: SQLite (the embedded default) and PostgreSQL.

Documents (catalogue/search/documents.py) are stored in the tables of
catalogue/search/dbindex.py: one `SearchEntry` row per document, with typed
columns for what SQL filters and sorts on, and `SearchValue` rows for the
keyword fields, so term filters are IN subqueries and facets GROUP BY counts.
The semantics match the search-engine backend, so one shared suite gives the
same hits and facet counts on both.

    rows.py        documents checked and split into rows
    writes.py      versioned upserts, deletions, a kind cleared
    filters.py     what a query matches (areas refined on the real shapes)
    facets.py      facet counts
    paging.py      a page in the query's order, and where the next one starts
    text.py        the words of a query; highlights as HTML
    vendor.py      what differs between the databases:
    sqlite.py        FTS5 (porter stemming, bm25)
    postgresql.py    a weighted tsvector (english, ts_rank)
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count

from catalogue import access
from catalogue.access import Visibility
from catalogue.search.backends.base import IndexFailure, Progress, SearchBackend
from catalogue.search.backends.database import filters, paging, text, writes
from catalogue.search.backends.database.facets import facet_counts
from catalogue.search.backends.database.postgresql import PostgreSQL
from catalogue.search.backends.database.sqlite import SQLite
from catalogue.search.backends.database.vendor import Vendor
from catalogue.search.dbindex import SearchEntry, SearchValue
from catalogue.search.query import Kind, SearchQuery, make_page_token, read_page_token
from catalogue.search.results import Hit, SearchResult

logger = logging.getLogger(__name__)

VENDORS: dict[str, Vendor] = {vendor.name: vendor for vendor in (SQLite(), PostgreSQL())}


class DatabaseBackend(SearchBackend):
    """Search in the catalogue's own database (SQLite FTS5 or PostgreSQL full text)."""

    name = "database"
    stems_english = True

    @property
    def vendor(self) -> Vendor:
        """The database of the current connection."""
        return VENDORS[connection.vendor]

    # --- writing ----------------------------------------------------------------------

    def setup(self) -> None:
        """The tables come with the migrations: nothing to create."""

    def refresh(self) -> None:
        """Writes are visible when committed."""

    def index(self, kind: Kind, documents: list[dict]) -> list[IndexFailure]:
        return writes.index(kind, documents, self.vendor)

    def delete(self, kind: Kind, ids: list[int]) -> None:
        writes.delete(kind, ids, self.vendor)

    def revisions(self, kind: Kind) -> dict[int, int]:
        return dict(SearchEntry.objects.filter(kind=kind).values_list("object_id", "revision"))

    def rebuild(
        self, kind: Kind, batches: Iterable[list[dict]], progress: Progress | None = None
    ) -> None:
        """One transaction: readers see the old documents until it commits."""
        with transaction.atomic():
            writes.clear(kind, self.vendor)
            for batch in batches:
                batch = list(batch)
                for failure in self.index(kind, batch):
                    logger.warning(
                        "rebuild: %s %s not indexed: %s", kind, failure.id, failure.reason
                    )
                if progress:
                    progress(len(batch))
            writes.analyze()

    # --- reading ----------------------------------------------------------------------

    def search(self, query: SearchQuery, visibility: Visibility) -> SearchResult:
        query.validate()
        position = read_page_token(self.name, query)
        tokens = text.words(query.text)
        vendor = self.vendor
        entries = filters.matching(query, visibility, tokens, vendor)
        total = entries.count()
        if not total:
            return SearchResult(hits=[], total=0, facets={name: [] for name in query.facets})
        facets = facet_counts(entries, query.facets, vendor)
        page = paging.page_of(entries, query, tokens, position, vendor)
        scores, highlights = page.scores, {}
        if tokens and page.rows:
            page_scores, raw = vendor.page_text(tokens, page.rows, query.highlight)
            scores = scores or page_scores
            highlights = text.highlights(raw)
        hits = [
            Hit(
                id=row["object_id"],
                kind=query.kind,
                score=scores.get(row["id"]) if tokens else None,
                document=row["document"],
                highlights=highlights.get(row["id"], {}),
            )
            for row in page.rows
        ]
        next_page = None
        if page.next_position is not None:
            next_page = make_page_token(self.name, query, page.next_position)
        return SearchResult(hits=hits, total=total, facets=facets, next_page=next_page)

    def suggest(self, prefix: str, visibility: Visibility, limit: int = 10) -> list[str]:
        """Titles, taxa and instruments of visible sets starting with `prefix`, the
        most frequent (in sets) first, then in code point order. Sets only: every
        image repeats its set's title and instrument."""
        prefix = (prefix or "").strip()
        if not prefix or limit <= 0:
            return []
        visible = SearchEntry.objects.filter(kind="set").filter(access.index_filter(visibility))
        counts: Counter = Counter()
        titles = (
            visible.filter(title__istartswith=prefix)
            .values_list("title")
            .annotate(n=Count("id"))
            .order_by()
        )
        for title, n in titles:
            counts[title] += n
        values = (
            SearchValue.objects.filter(
                field__in=("taxa", "instrument"),
                value__istartswith=prefix,
                entry_id__in=visible.values("id"),
            )
            .values_list("value")
            .annotate(n=Count("id"))
            .order_by()
        )
        for value, n in values:
            counts[value] += n
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [value for value, _ in ranked[:limit]]
