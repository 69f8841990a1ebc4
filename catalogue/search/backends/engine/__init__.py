"""The search-engine backend: OpenSearch or Elasticsearch behind one class.

client.py       the client connection (opensearch-py or elasticsearch-py)
mappings.py     index settings and mappings, per what the server offers
connection.py   what both halves share: names, capabilities, reading hits
indexes.py      index management: aliases, versioned writes, rebuilds
queries.py      request bodies, results, facets, suggestions
"""

from __future__ import annotations

from catalogue.search.backends.base import SearchBackend
from catalogue.search.backends.engine.indexes import EngineIndexes
from catalogue.search.backends.engine.queries import EngineQueries


class EngineBackend(EngineIndexes, EngineQueries, SearchBackend):
    """Search in an OpenSearch or Elasticsearch server: `EngineBackend(url, kind,
    prefix)`, each defaulting to its setting (SEARCH_URL, SEARCH_ENGINE,
    SEARCH_INDEX_PREFIX); `capabilities` skips probing the server."""
