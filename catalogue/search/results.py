"""The one result model of AquaCat search."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Hit:
    id: int
    kind: str
    score: float | None
    document: dict  # the indexed document (catalogue/search/documents.py)
    highlights: dict[str, list[str]] = field(default_factory=dict)  # field -> HTML fragments
    # Accepted names of the query's matched taxa that this hit holds (itself or below).
    matched_taxa: list[str] = field(default_factory=list)


@dataclass
class FacetValue:
    value: str | int | bool
    count: int


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]]
    next_page: str | None = None  # pass back as SearchQuery.after
    # The taxa the query text names: [{text, aphia_id, name, rank, via, vernacular, label}]
    # (catalogue/search/taxon_queries.py).
    matched_taxa: list[dict] = field(default_factory=list)
    # The taxon facet as a tree by rank: [{value, count, rank, aphia_id, vernacular, children}]
    taxon_tree: list[dict] = field(default_factory=list)

    def ids(self) -> list[int]:
        return [hit.id for hit in self.hits]

    def facet_counts(self, name: str) -> dict:
        return {value.value: value.count for value in self.facets.get(name, [])}
