"""The client connection to the search engine: OpenSearch through opensearch-py,
Elasticsearch through elasticsearch-py, behind one small interface.

The two clients differ in call signatures (Elasticsearch 8 takes keyword
arguments, opensearch-py takes a `body`); this module is the only place that
knows, so the rest of AquaCat talks to `SearchEngine`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import elasticsearch
import requests
from django.conf import settings
from opensearchpy import OpenSearch
from opensearchpy.exceptions import OpenSearchException

logger = logging.getLogger(__name__)

OPENSEARCH, ELASTICSEARCH = "opensearch", "elasticsearch"


class SearchEngineError(RuntimeError):
    """The configured search engine cannot be reached or refused a request.

    `status` is the HTTP status of a refusal (None when the server was not
    reached) and `error_type` the server's error type (e.g.
    "index_not_found_exception"), so callers can tell a retryable outage from
    a request the server will never accept.
    """

    def __init__(self, message: str, *, status: int | None = None, error_type: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_type = error_type

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


# The exception classes of both clients: either may raise, SearchEngineError goes out.
CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    elasticsearch.ApiError,
    elasticsearch.TransportError,
    OpenSearchException,
)


def _error_details(error: BaseException) -> tuple[int | None, str | None, str]:
    """(status, error type, reason) of a client exception, whichever client raised it."""
    status = getattr(error, "status_code", None)
    if not isinstance(status, int):
        status = None  # opensearch-py says 'N/A' when the server was not reached
    body = getattr(error, "info", None) if status is not None else None
    error_type, reason = None, str(error)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        detail = body["error"]
        error_type = detail.get("type")
        reason = detail.get("reason") or reason
        caused_by = detail.get("caused_by")
        if isinstance(caused_by, dict) and caused_by.get("reason"):
            reason = f"{reason}: {caused_by['reason']}"
    return status, error_type, reason


@contextmanager
def engine_errors(url: str) -> Iterator[None]:
    """Turn either client's exceptions into SearchEngineError."""
    try:
        yield
    except SearchEngineError:
        raise
    except CLIENT_ERRORS as error:
        status, error_type, reason = _error_details(error)
        if status is None:
            message = f"search engine at {url} unreachable: {reason}"
        else:
            message = f"search engine at {url} refused the request ({status}): {reason}"
        raise SearchEngineError(message, status=status, error_type=error_type) from error


def detect_engine(url: str, timeout: float = 5) -> str:
    """Ask the server what it is: OpenSearch names its distribution in `GET /`.

    Elasticsearch answers with its product header (and some builds refuse
    `GET /` altogether, still sending that header).
    """
    try:
        response = requests.get(url.rstrip("/") + "/", timeout=timeout)
    except requests.RequestException as error:
        raise SearchEngineError(f"search engine at {url} unreachable: {error}") from error
    if response.headers.get("X-elastic-product") == "Elasticsearch":
        return ELASTICSEARCH
    try:
        distribution = response.json().get("version", {}).get("distribution")
    except ValueError:
        distribution = None
    if distribution == OPENSEARCH:
        return OPENSEARCH
    raise SearchEngineError(f"{url} is neither OpenSearch nor Elasticsearch")


@dataclass
class SearchEngine:
    """A connected engine: `kind` is "opensearch" or "elasticsearch".

    Every method raises SearchEngineError (never a client exception) when the
    server cannot be reached or refuses the request. Request bodies are plain
    dicts; both clients take them as `body`.
    """

    kind: str
    url: str
    client: Any

    def errors(self):
        return engine_errors(self.url)

    def create_index(
        self, name: str, *, settings: dict, mappings: dict, aliases: dict | None = None
    ) -> None:
        body: dict = {"settings": settings, "mappings": mappings}
        if aliases:
            body["aliases"] = aliases
        with self.errors():
            self.client.indices.create(index=name, body=body)
        # Acknowledged is not usable: on a busy node the shard may still be starting,
        # and a search or count in that moment fails with "all shards failed".
        try:
            with self.errors():
                self.client.cluster.health(index=name, wait_for_status="yellow", timeout="30s")
        except SearchEngineError:
            logger.warning("search engine: index %s not ready after 30 s", name)

    def delete_index(self, name: str) -> None:
        with self.errors():
            self.client.indices.delete(index=name, ignore_unavailable=True)

    def index_document(self, name: str, doc_id: str, document: dict, *, refresh: bool) -> None:
        with self.errors():
            if self.kind == ELASTICSEARCH:
                self.client.index(index=name, id=doc_id, document=document, refresh=refresh)
            else:
                self.client.index(index=name, id=doc_id, body=document, refresh=refresh)

    def search(self, name: str, body: dict, **params: Any) -> dict:
        with self.errors():
            return dict(self.client.search(index=name, body=body, **params))

    def bulk(self, operations: list[dict], *, refresh: bool = False) -> dict:
        """One `_bulk` request; the caller must read the response item by item."""
        with self.errors():
            return dict(self.client.bulk(body=operations, refresh=refresh))

    def index_exists(self, name: str) -> bool:
        """True for an index or an alias of that name."""
        with self.errors():
            return bool(self.client.indices.exists(index=name))

    def alias_exists(self, name: str) -> bool:
        with self.errors():
            return bool(self.client.indices.exists_alias(name=name))

    def alias_indices(self, name: str) -> list[str]:
        """The concrete indexes behind an alias (empty when there is no such alias)."""
        try:
            with self.errors():
                found = dict(self.client.indices.get_alias(name=name))
        except SearchEngineError as error:
            if error.status == 404:
                return []
            raise
        return sorted(found)

    def list_indices(self, pattern: str) -> list[str]:
        """Concrete index names matching a wildcard pattern."""
        with self.errors():
            return sorted(dict(self.client.indices.get(index=pattern, allow_no_indices=True)))

    def update_aliases(self, actions: list[dict]) -> None:
        """All `actions` in one `_aliases` request: applied atomically."""
        with self.errors():
            self.client.indices.update_aliases(body={"actions": actions})

    def put_settings(self, name: str, settings: dict) -> None:
        with self.errors():
            self.client.indices.put_settings(index=name, body=settings)

    def refresh(self, name: str) -> None:
        with self.errors():
            self.client.indices.refresh(index=name)

    def analyze(self, body: dict, index: str | None = None) -> dict:
        with self.errors():
            return dict(self.client.indices.analyze(index=index, body=body))


def connect(url: str | None = None, kind: str | None = None) -> SearchEngine:
    """Connect to `url` (default: settings.SEARCH_URL) with the matching client."""
    url = url or settings.SEARCH_URL
    if not url:
        raise SearchEngineError("no search engine configured (SEARCH_URL is empty)")
    kind = kind or settings.SEARCH_ENGINE
    if kind in ("", "auto"):
        kind = detect_engine(url, timeout=settings.SEARCH_TIMEOUT)
    timeout = settings.SEARCH_TIMEOUT
    if kind == ELASTICSEARCH:
        client: Any = elasticsearch.Elasticsearch(url, request_timeout=timeout, max_retries=1)
    elif kind == OPENSEARCH:
        client = OpenSearch(hosts=[url], timeout=timeout, max_retries=1)
    else:
        raise SearchEngineError(f"SEARCH_ENGINE must be opensearch, elasticsearch or auto: {kind}")
    return SearchEngine(kind=kind, url=url, client=client)
