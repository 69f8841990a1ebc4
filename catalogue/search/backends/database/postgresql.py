"""PostgreSQL: full text in a weighted tsvector column of the entry (GIN index),
matched and ranked with the `english` configuration (ts_rank, ts_headline)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery as TextQuery
from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from catalogue.search.backends.database.rows import Row, text_of
from catalogue.search.backends.database.text import START, STOP, safe
from catalogue.search.backends.database.vendor import RawHighlights, Vendor
from catalogue.search.dbindex import SearchEntry, SearchValue

# ts_rank weights {D, C, B, A}: title 3, keywords and taxa 2, the rest 1.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 0.6]
# Weight C (title is A; keywords and taxa B).
C_WEIGHTED = ("description", "creators", "instrument", "platform", "file_name")
TSVECTOR = (
    "setweight(to_tsvector('english'::regconfig, %s), 'A')"
    " || setweight(to_tsvector('english'::regconfig, %s), 'B')"
    " || setweight(to_tsvector('english'::regconfig, %s), 'C')"
)


def text_query(tokens: list[str]) -> TextQuery:
    return TextQuery(" ".join(tokens), config="english", search_type="plain")


def headlines(tokens: list[str], texts: list[str], options: str) -> list[str]:
    """ts_headline of each text, in order, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_headline('english'::regconfig, u.text,"
            " plainto_tsquery('english'::regconfig, %s), %s)"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS u(text, n) ORDER BY u.n",
            [" ".join(tokens), options, [safe(text) for text in texts]],
        )
        return [headline for (headline,) in cursor.fetchall()]


class PostgreSQL(Vendor):
    name = "postgresql"

    def text_column(self) -> tuple[str, str]:
        return "search", TSVECTOR

    def text_params(self, row: Row) -> list:
        texts = row.texts
        return [
            texts["title"],
            text_of([texts["keywords"], texts["taxa"]]),
            text_of(texts[name] for name in C_WEIGHTED),
        ]

    def matching(self, tokens: list[str]) -> Q:
        return Q(search=text_query(tokens))

    def rank(self, tokens: list[str]) -> SearchRank:
        return SearchRank(F("search"), text_query(tokens), weights=RANK_WEIGHTS)

    def ranked(
        self, entries: QuerySet, tokens: list[str], offset: int, limit: int
    ) -> list[tuple[int, float]]:
        ranked = entries.annotate(score=self.rank(tokens)).order_by(
            F("score").desc(), F("object_id")
        )
        rows = ranked.values_list("id", "score")[offset : offset + limit]
        return [(entry_id, float(score)) for entry_id, score in rows]

    def page_text(
        self, tokens: list[str], rows: list[dict], highlight: bool
    ) -> tuple[dict[int, float], RawHighlights]:
        page = SearchEntry.objects.filter(id__in=[row["id"] for row in rows])
        scored = page.annotate(s=self.rank(tokens)).values_list("id", "s")
        scores = {entry_id: float(score) for entry_id, score in scored}
        if not highlight:
            return scores, {}
        titles = headlines(
            tokens,
            [str(row["document"].get("title") or "") for row in rows],
            f"StartSel={START}, StopSel={STOP}, HighlightAll=true",
        )
        descriptions = headlines(
            tokens,
            [str(row["document"].get("description") or "") for row in rows],
            f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15",
        )
        raw: RawHighlights = {
            row["id"]: (title, description)
            for row, title, description in zip(rows, titles, descriptions, strict=True)
        }
        return scores, raw

    def value_counts(self, entries: QuerySet, fields: list[str]) -> Iterable[tuple]:
        return (
            SearchValue.objects.filter(field__in=fields, entry_id__in=entries.values("id"))
            .exclude(value="")
            .values_list("field", "value")
            .annotate(n=Count("id"))
            .order_by()
        )

    def id_list(self, ids: list[int]) -> RawSQL:
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
