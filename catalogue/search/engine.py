"""Connections to the search engine: OpenSearch through opensearch-py, Elasticsearch
through elasticsearch-py, behind one small interface.

The two clients differ in call signatures (Elasticsearch 8 takes keyword
arguments, opensearch-py takes a `body`); this module is the only place that
knows, so the rest of AquaCat talks to `SearchEngine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

OPENSEARCH, ELASTICSEARCH = "opensearch", "elasticsearch"


class SearchEngineError(RuntimeError):
    """The configured search engine cannot be reached or refused a request."""


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
    """A connected engine: `kind` is "opensearch" or "elasticsearch"."""

    kind: str
    url: str
    client: Any

    def create_index(self, name: str, *, settings: dict, mappings: dict) -> None:
        if self.kind == ELASTICSEARCH:
            self.client.indices.create(index=name, settings=settings, mappings=mappings)
        else:
            self.client.indices.create(
                index=name, body={"settings": settings, "mappings": mappings}
            )

    def delete_index(self, name: str) -> None:
        self.client.indices.delete(index=name, ignore_unavailable=True)

    def index_document(self, name: str, doc_id: str, document: dict, *, refresh: bool) -> None:
        if self.kind == ELASTICSEARCH:
            self.client.index(index=name, id=doc_id, document=document, refresh=refresh)
        else:
            self.client.index(index=name, id=doc_id, body=document, refresh=refresh)

    def search(self, name: str, body: dict) -> dict:
        if self.kind == ELASTICSEARCH:
            return dict(self.client.search(index=name, **body))
        return self.client.search(index=name, body=body)


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
        from elasticsearch import Elasticsearch

        client = Elasticsearch(url, request_timeout=timeout, max_retries=1)
    elif kind == OPENSEARCH:
        from opensearchpy import OpenSearch

        client = OpenSearch(hosts=[url], timeout=timeout, max_retries=1)
    else:
        raise SearchEngineError(f"SEARCH_ENGINE must be opensearch, elasticsearch or auto: {kind}")
    return SearchEngine(kind=kind, url=url, client=client)
