"""Search: one query model, several backends (the database, OpenSearch, Elasticsearch).

`get_backend()` gives the configured one: the search engine at SEARCH_URL, or
the database backend when SEARCH_URL is empty (the embedded default).
"""

from __future__ import annotations

from django.conf import settings


def get_backend(url: str | None = None, kind: str | None = None, prefix: str | None = None):
    url = settings.SEARCH_URL if url is None else url
    if not url:
        from catalogue.search.backends.database import DatabaseBackend

        return DatabaseBackend()
    from catalogue.search.backends.engine import EngineBackend

    return EngineBackend(url=url, kind=kind, prefix=prefix)
