"""Search: one query model, several backends (the database, OpenSearch, Elasticsearch).

`get_backend()` gives the configured one: the search engine at SEARCH_URL, or
the database backend when SEARCH_URL is empty (the embedded default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from catalogue.search.backends.base import SearchBackend


def get_backend(
    url: str | None = None, kind: str | None = None, prefix: str | None = None
) -> SearchBackend:
    url = settings.SEARCH_URL if url is None else url
    if not url:
        from catalogue.search.backends.database import DatabaseBackend  # noqa: PLC0415 - a cycle: backends import catalogue.models, which imports this package

        return DatabaseBackend()
    from catalogue.search.backends.engine import EngineBackend  # noqa: PLC0415 - the same cycle

    return EngineBackend(url=url, kind=kind, prefix=prefix)
