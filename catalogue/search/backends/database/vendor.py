"""What differs between the databases the database backend runs on.

One `Vendor` per database (sqlite.py, postgresql.py), chosen by the
connection: where the full text lives and how it is matched, ranked and
highlighted, and two query shapes each planner needs. Everything else (rows,
filters, facets, paging) is the same SQL on both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from catalogue.search.backends.database.rows import Row

# Per page entry: (title, description) with the matched words between the markers
# of text.py, or None where nothing matched.
RawHighlights = dict[int, tuple[str | None, str | None]]


class Vendor(ABC):
    name: str  # connection.vendor

    # --- writing text (by default the text lives in the entry row itself) --------------

    def text_column(self) -> tuple[str, str] | None:
        """(column, SQL placeholder) the upsert fills with the text, if any."""
        return None

    def text_params(self, row: Row) -> list:
        """The parameters of text_column's placeholder for a row."""
        return []

    def write_text(self, written: list[tuple[int, Row]]) -> None:  # noqa: B027 - optional
        """Store the text of freshly written entries (entry id, row) elsewhere."""

    def delete_text(self, entry_ids: list[int]) -> None:  # noqa: B027 - optional
        """Remove the text stored elsewhere for these entries."""

    def clear_text(self, kind: str) -> None:  # noqa: B027 - optional
        """Remove the text stored elsewhere for every entry of a kind."""

    # --- reading ----------------------------------------------------------------------

    @abstractmethod
    def matching(self, tokens: list[str]) -> Q:
        """Entries whose text has every token."""

    @abstractmethod
    def ranked(
        self, entries: QuerySet, tokens: list[str], offset: int, limit: int
    ) -> list[tuple[int, float]]:
        """(entry id, score) of the matching entries, best first (ties: lowest id)."""

    @abstractmethod
    def page_text(
        self, tokens: list[str], rows: list[dict], highlight: bool
    ) -> tuple[dict[int, float], RawHighlights]:
        """Scores of a page's entries and, when asked, their marked title and
        description. `rows` have the entry's "id" and "document"."""

    @abstractmethod
    def value_counts(self, entries: QuerySet, fields: list[str]) -> Iterable[tuple]:
        """(field, value, number of entries) over the entries, empty values left out."""

    @abstractmethod
    def id_list(self, ids: list[int]) -> RawSQL:
        """A subquery of these ids, one parameter whatever their number."""
