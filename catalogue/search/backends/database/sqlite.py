"""SQLite, the embedded default: full text in an FTS5 table (porter stemming, bm25).

The FTS5 table (catalogue/search/dbindex.py, FTS_TABLE) holds one row per
entry, rowid = entry id, written next to each entry. Queries cross-join so the
planner keeps the order that is fast whatever its statistics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from catalogue.search.backends.database.rows import Row
from catalogue.search.backends.database.text import ELLIPSIS, START, STOP
from catalogue.search.backends.database.vendor import RawHighlights, Vendor
from catalogue.search.dbindex import FTS_COLUMNS, FTS_TABLE, SearchEntry, SearchValue

SNIPPET_TOKENS = 32


def fts_expression(tokens: list[str]) -> str:
    """An FTS5 query matching every token: each one a quoted string (never syntax)."""
    return " ".join(f'"{token}"' for token in tokens)


class SQLite(Vendor):
    name = "sqlite"

    def write_text(self, written: list[tuple[int, Row]]) -> None:
        self.delete_text([entry_id for entry_id, _ in written])
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) VALUES "  # noqa: S608
                f"(%s{', %s' * len(FTS_COLUMNS)})",
                [
                    [entry_id, *(row.texts[name] for name in FTS_COLUMNS)]
                    for entry_id, row in written
                ],
            )

    def delete_text(self, entry_ids: list[int]) -> None:
        if entry_ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT value FROM json_each(%s))",  # noqa: S608
                    [json.dumps(entry_ids)],
                )

    def clear_text(self, kind: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid IN "  # noqa: S608
                f"(SELECT id FROM {SearchEntry._meta.db_table} WHERE kind = %s)",
                [kind],
            )

    def matching(self, tokens: list[str]) -> Q:
        rowids = RawSQL(  # noqa: S611 - constant SQL, text as a parameter
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
            [fts_expression(tokens)],
        )
        return Q(id__in=rowids)

    def ranked(
        self, entries: QuerySet, tokens: list[str], offset: int, limit: int
    ) -> list[tuple[int, float]]:
        # FTS5 drives (CROSS JOIN keeps it outermost), bm25 is its `rank` (lower is
        # better); the filtered entries come in as a subquery.
        subquery, params = entries.values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.id, {FTS_TABLE}.rank FROM {FTS_TABLE}"  # noqa: S608 - no input
                f" CROSS JOIN {SearchEntry._meta.db_table} AS e ON e.id = {FTS_TABLE}.rowid"
                f" WHERE {FTS_TABLE} MATCH %s AND e.id IN ({subquery})"
                f" ORDER BY {FTS_TABLE}.rank, e.object_id LIMIT %s OFFSET %s",
                [fts_expression(tokens), *params, limit, offset],
            )
            return [(entry_id, -rank) for entry_id, rank in cursor.fetchall()]

    def page_text(
        self, tokens: list[str], rows: list[dict], highlight: bool
    ) -> tuple[dict[int, float], RawHighlights]:
        scores: dict[int, float] = {}
        raw: RawHighlights = {}
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, rank, highlight({FTS_TABLE}, 0, %s, %s),"  # noqa: S608
                f" snippet({FTS_TABLE}, 3, %s, %s, %s, %s)"
                f" FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
                " AND rowid IN (SELECT value FROM json_each(%s))",
                [
                    START,
                    STOP,
                    START,
                    STOP,
                    ELLIPSIS,
                    SNIPPET_TOKENS,
                    fts_expression(tokens),
                    json.dumps([row["id"] for row in rows]),
                ],
            )
            for entry_id, rank, title, description in cursor.fetchall():
                scores[entry_id] = -rank
                if highlight:
                    raw[entry_id] = (title, description)
        return scores, raw

    def value_counts(self, entries: QuerySet, fields: list[str]) -> Iterable[tuple]:
        # Walk the matching entries and look their values up by the unique (entry,
        # field, value) index; CROSS JOIN fixes that order, whatever the planner's
        # statistics (scanning every value of a field is far slower).
        subquery, params = entries.values("id").query.sql_with_params()
        placeholders = ", ".join(["%s"] * len(fields))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT v.field, v.value, COUNT(*) FROM ({subquery}) AS e"  # noqa: S608
                f" CROSS JOIN {SearchValue._meta.db_table} AS v ON v.entry_id = e.id"
                f" WHERE v.field IN ({placeholders}) AND v.value <> ''"
                " GROUP BY v.field, v.value",
                [*params, *fields],
            )
            return cursor.fetchall()

    def id_list(self, ids: list[int]) -> RawSQL:
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])
