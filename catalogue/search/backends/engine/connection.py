"""What both halves of the engine backend share: the client, the index names,
what the server offers, and reading every hit of a search.

What the server lacks is probed once per server and process (see
mappings.Capabilities): the `english` analyzer, the `lowercase` filter and
the `geo_shape` field type.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator

from django.conf import settings
from elasticsearch.dsl import Search

from catalogue.search.backends.engine.client import SearchEngineError, connect
from catalogue.search.backends.engine.mappings import Capabilities
from catalogue.search.query import Kind

logger = logging.getLogger(__name__)

INDEX_NAMES = {"set": "sets", "image": "images"}
INDEX_NOT_FOUND = "index_not_found_exception"

# Capabilities probed per server, once per process.
_probed: dict[tuple[str, str], Capabilities] = {}
_probe_lock = threading.Lock()


class EngineConnection:
    scan_size = 2000  # hits per page when reading everything (revisions, geo refinement)

    def __init__(
        self,
        url: str | None = None,
        kind: str | None = None,
        prefix: str | None = None,
        *,
        capabilities: Capabilities | None = None,
    ):
        self.engine = connect(url, kind)
        self.name = self.engine.kind
        self.prefix = (prefix or settings.SEARCH_INDEX_PREFIX).lower()
        self._capabilities = capabilities

    # --- names ------------------------------------------------------------------------

    def alias(self, kind: Kind) -> str:
        """The alias readers and writers use; it names one concrete index."""
        return f"{self.prefix}-{INDEX_NAMES[kind]}"

    def building_alias(self, kind: Kind) -> str:
        """The alias of the index a running rebuild fills."""
        return f"{self.alias(kind)}-building"

    # --- what the server offers -------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        if self._capabilities is None:
            key = (self.engine.kind, self.engine.url)
            with _probe_lock:
                if key not in _probed:
                    _probed[key] = self._probe()
                self._capabilities = _probed[key]
        return self._capabilities

    @property
    def stems_english(self) -> bool:
        return self.capabilities.english

    def _probe(self) -> Capabilities:
        caps = Capabilities(
            english=self._analyzes({"analyzer": "english", "text": "running"}),
            lowercase=self._analyzes(
                {"tokenizer": "standard", "filter": ["lowercase"], "text": "Running"}
            ),
            geo_shape=self._has_geo_shape(),
            decompound=self._analyzes(
                {
                    "tokenizer": "standard",
                    "filter": [{"type": "dictionary_decompounder", "word_list": ["plankton"]}],
                    "text": "zooplankton",
                }
            ),
        )
        logger.info("search: %s at %s offers %s", self.name, self.engine.url, caps)
        return caps

    def _analyzes(self, body: dict) -> bool:
        try:
            self.engine.analyze(body)
        except SearchEngineError as error:
            if error.status == 400:  # the analyzer or filter does not exist
                return False
            raise
        return True

    def _has_geo_shape(self) -> bool:
        scratch = f"{self.prefix}-probe-{uuid.uuid4().hex}"
        try:
            self.engine.create_index(
                scratch,
                settings={"number_of_shards": 1, "number_of_replicas": 0},
                mappings={"properties": {"coverage": {"type": "geo_shape"}}},
            )
        except SearchEngineError as error:
            if error.status == 400:  # "the mapper type [geo_shape] ... does not exist"
                return False
            raise
        self.engine.delete_index(scratch)
        return True

    # --- reading ----------------------------------------------------------------------

    def _send(self, index: str, body: dict) -> dict | None:
        """A search; None when the index does not exist yet (nothing was set up)."""
        try:
            response = self.engine.search(index, body)
        except SearchEngineError as error:
            if error.error_type == INDEX_NOT_FOUND:
                return None
            raise
        shards = response.get("_shards") or {}
        if shards.get("failed"):
            failure = (shards.get("failures") or [{}])[0]
            raise SearchEngineError(
                f"search on {index} failed on {shards['failed']} shard(s): "
                f"{reason(failure.get('reason') or {})}"
            )
        return response

    def _scan(self, index: str, search: Search) -> Iterator[dict]:
        """Every hit of a search sorted on `id`, page by page with search_after."""
        after = None
        while True:
            page = search.extra(search_after=after) if after is not None else search
            response = self._send(index, page.to_dict())
            hits = response["hits"]["hits"] if response else []
            yield from hits
            if len(hits) < self.scan_size:
                return
            after = hits[-1]["sort"]


def reason(error: dict | str) -> str:
    """A server's error, in one line."""
    if not isinstance(error, dict):
        return str(error)
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
    caused_by = error.get("caused_by")
    if isinstance(caused_by, dict) and caused_by.get("reason"):
        text += f" ({caused_by['reason']})"
    return text
