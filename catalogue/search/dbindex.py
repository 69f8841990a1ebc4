"""Tables of the database search index (catalogue/search/backends/database/).

`SearchEntry` holds one row per indexed document: the whole document as JSON
plus typed copies of what SQL filters and sorts on. `SearchValue` holds one row
per value of the keyword and multi-valued fields, so a filter is an IN
subquery and a facet a GROUP BY. Full text lives in `search` (a weighted
tsvector with a GIN index) on PostgreSQL, and on SQLite in the FTS5 virtual
table FTS_TABLE (rowid = SearchEntry.id, porter unicode61 tokenizer, ranked by
bm25 with FTS_WEIGHTS), created by migration 0004 on SQLite only and written
by the backend next to each entry.

Imported into catalogue.models so that Django finds them.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

__all__ = ["SearchEntry", "SearchValue"]

# The SQLite FTS5 table: its columns, in order, and their bm25 weights: title 3,
# keywords and taxa 2, the rest 1 (as the search engine's boosts, and as the
# weights A, B, C given to ts_rank on PostgreSQL).
FTS_TABLE = "catalogue_searchtext"
FTS_COLUMNS = (
    "title",
    "keywords",
    "taxa",
    "description",
    "creators",
    "instrument",
    "platform",
    "file_name",
)
FTS_WEIGHTS = (6.0, 4.0, 4.0, 2.0, 2.0, 2.0, 2.0, 2.0)


class SearchEntry(models.Model):
    """One indexed document: a set or an image, at `revision`."""

    kind = models.CharField(max_length=8)
    object_id = models.BigIntegerField()
    revision = models.BigIntegerField()
    document = models.JSONField()
    title = models.TextField(blank=True)
    set_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=16, blank=True)
    access = models.CharField(max_length=16, blank=True)
    embargo_until = models.DateField(null=True)
    owner_id = models.BigIntegerField(null=True)
    # As in the document: a filter on a missing end never matches.
    time_start = models.DateTimeField(null=True)
    time_end = models.DateTimeField(null=True)
    depth_min = models.FloatField(null=True)
    depth_max = models.FloatField(null=True)
    # Extent of the coverage (polygon, else point, else bbox); west > east crosses 180.
    west = models.FloatField(null=True)
    south = models.FloatField(null=True)
    east = models.FloatField(null=True)
    north = models.FloatField(null=True)
    has_polygon = models.BooleanField(default=False)  # coverage is a polygon (refined in Python)
    has_annotations = models.BooleanField(default=False)
    size = models.BigIntegerField(default=0)  # -1: unknown (sorts last)
    created = models.DateTimeField()
    # PostgreSQL only (always NULL on SQLite): title A; keywords, taxa B; the rest C.
    search = SearchVectorField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="searchentry_kind_object")
        ]
        indexes = [
            models.Index(fields=["kind", "created", "object_id"], name="searchentry_newest"),
            models.Index(fields=["kind", "size", "object_id"], name="searchentry_largest"),
            models.Index(fields=["kind", "state", "access"], name="searchentry_visibility"),
            models.Index(fields=["kind", "set_id"], name="searchentry_set"),
            models.Index(fields=["kind", "owner_id"], name="searchentry_owner"),
            models.Index(fields=["kind", "west", "east"], name="searchentry_lon"),
            models.Index(fields=["kind", "time_start", "time_end"], name="searchentry_time"),
            # Created on PostgreSQL only (see migration 0004).
            GinIndex(fields=["search"], name="searchentry_search"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} r{self.revision}"


class SearchValue(models.Model):
    """One value of one keyword field of an entry (deduplicated per entry)."""

    # Rows are removed explicitly with their entry (a fast delete, no cascade); the
    # unique constraint below, led by entry, is the index for lookups by entry.
    entry = models.ForeignKey(
        SearchEntry, on_delete=models.DO_NOTHING, related_name="terms", db_index=False
    )
    field = models.CharField(max_length=32)
    value = models.CharField(max_length=1024)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "field", "value"], name="searchvalue_entry_field_value"
            )
        ]
        indexes = [models.Index(fields=["field", "value"], name="searchvalue_field_value")]

    def __str__(self) -> str:
        return f"{self.field}={self.value}"
