"""The interface every search backend implements.

Shaped after Wagtail's search layer (now the `modelsearch` library): a backend
object, a query compiled per backend, one result model. Documents come from
catalogue/search/documents.py; queries from catalogue/search/query.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from catalogue.access import Visibility
from catalogue.search.query import Kind, SearchQuery
from catalogue.search.results import SearchResult

Progress = Callable[[int], None]  # called with the number of documents just written


@dataclass
class IndexFailure:
    """A document the backend refused (not a stale version: that is not a failure)."""

    kind: str
    id: int
    reason: str


class SearchBackend(ABC):
    name: str  # "database", "opensearch", "elasticsearch"

    @abstractmethod
    def setup(self) -> None:
        """Create what is missing (indexes and aliases, or tables); idempotent."""

    @abstractmethod
    def index(self, kind: Kind, documents: list[dict]) -> list[IndexFailure]:
        """Upsert documents, each versioned by its `revision`.

        A document whose revision is lower than the one already indexed is
        ignored silently; an equal revision is a no-op. Returns the documents
        that could not be written, item by item.
        """

    @abstractmethod
    def delete(self, kind: Kind, ids: list[int]) -> None:
        """Remove documents; ids that are not indexed are ignored."""

    @abstractmethod
    def search(self, query: SearchQuery, visibility: Visibility) -> SearchResult:
        """Hits the viewer may see, their total and facet counts (also only what they
        may see), highlights, and a next-page token when more hits follow."""

    @abstractmethod
    def suggest(self, prefix: str, visibility: Visibility, limit: int = 10) -> list[str]:
        """Completions for the search box: titles, taxa and instruments starting
        with `prefix` (case-insensitive), from documents the viewer may see."""

    @abstractmethod
    def revisions(self, kind: Kind) -> dict[int, int]:
        """Every indexed id of this kind and its revision (for reconciliation)."""

    @abstractmethod
    def rebuild(
        self, kind: Kind, batches: Iterable[list[dict]], progress: Progress | None = None
    ) -> None:
        """Replace the whole index of `kind` with these documents. Readers keep
        seeing the old index, complete, until the new one is complete."""

    def refresh(self) -> None:  # noqa: B027 - optional: make writes visible now (tests)
        """Make everything written so far visible to searches."""
