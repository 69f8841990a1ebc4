"""Index management of the engine backend: indexes and aliases, versioned writes,
rebuilds that swap an alias.

Indexes: one per kind, always reached through an alias (`{prefix}-sets`,
`{prefix}-images`) that names one concrete index `{alias}-{timestamp}`. A
rebuild fills a new concrete index and swaps the alias in one `_aliases` call,
so readers see the old index, complete, until the new one is complete. While a
rebuild runs, a second alias (`{alias}-building`) names the new index and
`index()`/`delete()` write to both: a change committed after the rebuild read
its row is not lost. Writes are versioned by the document's revision (external
versioning), so double and late writes are harmless.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from elasticsearch.dsl import Search

from catalogue import geometry
from catalogue.search.backends.base import IndexFailure, Progress
from catalogue.search.backends.engine.client import SearchEngineError
from catalogue.search.backends.engine.connection import INDEX_NOT_FOUND, EngineConnection, reason
from catalogue.search.backends.engine.mappings import GEO, PARTS, index_settings, mappings
from catalogue.search.query import KINDS, Kind
from catalogue.search.wordparts import word_parts

logger = logging.getLogger(__name__)

VERSION_CONFLICT = "version_conflict_engine_exception"
EXTENT = ("west", "south", "east", "north")  # the coverage's box, in GEO


class EngineIndexes(EngineConnection):
    bulk_chunk = 500  # documents per bulk request
    retire_delay = 1.0  # seconds between the alias swap and dropping the old index
    tombstone_wait = 0.25  # seconds after deletes before the refresh that prunes tombstones
    _ready = False  # the aliases are known to exist

    # --- indexes and aliases ----------------------------------------------------------

    @staticmethod
    def _new_index_name(alias: str) -> str:
        return f"{alias}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"

    def _create_index(self, name: str, aliases: dict) -> None:
        caps = self.capabilities
        self.engine.create_index(
            name, settings=index_settings(caps), mappings=mappings(caps), aliases=aliases
        )

    def setup(self) -> None:
        for kind in KINDS:
            alias = self.alias(kind)
            if self.engine.alias_exists(alias):
                continue
            if self.engine.index_exists(alias):
                raise SearchEngineError(
                    f"{alias} is an index, not an alias: rebuild the {kind} index to replace it"
                )
            name = self._new_index_name(alias)
            self._create_index(name, {alias: {}})
            # Two processes setting up at once: the oldest index wins, the other goes.
            behind = self.engine.alias_indices(alias)
            if len(behind) > 1 and name != behind[0]:
                self.engine.delete_index(name)
        self._ready = True

    def _ensure_ready(self) -> None:
        # A write to a missing alias would auto-create an index with guessed mappings.
        if not self._ready:
            self.setup()

    def _write_targets(self, kind: Kind) -> list[str]:
        targets = [self.alias(kind)]
        if self.engine.alias_exists(self.building_alias(kind)):
            targets.append(self.building_alias(kind))
        return targets

    def refresh(self) -> None:
        for kind in KINDS:
            try:
                self.engine.refresh(self.alias(kind))
            except SearchEngineError as error:
                if error.status != 404:
                    raise

    def drop(self) -> None:
        """Delete every index of this prefix (tests and benchmarks clean up with it)."""
        client = self.engine.client
        for name in client.indices.get(index=f"{self.prefix}-*", ignore_unavailable=True):
            client.indices.delete(index=name, ignore_unavailable=True)

    # --- writes -----------------------------------------------------------------------

    def prepare(self, document: dict) -> dict:
        """The source to index: the document plus its derived coverage fields (and
        its word parts, where the engine cannot find them itself)."""
        source = dict(document)
        source.pop(GEO, None)
        source.pop(PARTS, None)
        if not self.capabilities.decompound:
            source[PARTS] = word_parts(searched_texts(document))
        shape = geometry.coverage(document)
        if shape is not None:
            if shape.extent[0] > shape.extent[2]:
                # Not mapped yet (the box filters below assume west <= east).
                raise geometry.GeometryError("a bbox across the antimeridian is not indexed")
            fields: dict = {"kind": shape.kind, **dict(zip(EXTENT, shape.extent, strict=True))}
            if self.capabilities.geo_shape:
                fields["shape"] = geometry.geo_shape(shape)
            source[GEO] = fields
        return source

    def index(self, kind: Kind, documents: list[dict]) -> list[IndexFailure]:
        """Versioned upserts (external version = revision).

        A stale or equal revision is a version conflict and is ignored; any other
        refused item is returned as an IndexFailure. Items refused for a passing
        reason (429 or 5xx: the engine is overloaded) raise SearchEngineError
        instead, so the caller keeps them and retries.
        """
        if not documents:
            return []
        self._ensure_ready()
        return self._bulk_index(kind, documents, self._write_targets(kind))

    def _bulk_index(
        self, kind: Kind, documents: list[dict], targets: list[str]
    ) -> list[IndexFailure]:
        failures: dict[object, IndexFailure] = {}
        transient: list[str] = []
        for start in range(0, len(documents), self.bulk_chunk):
            operations: list[dict] = []
            sent: list[int] = []
            for document in documents[start : start + self.bulk_chunk]:
                doc_id = document.get("id")
                try:
                    source = self.prepare(document)
                    object_id = int(document["id"])
                    meta = {"_id": str(object_id), "version": int(document["revision"])}
                except (KeyError, TypeError, ValueError) as problem:
                    # Reported under id 0 when it has no integer id, as the database backend does.
                    reported = doc_id if isinstance(doc_id, int) else 0
                    failures.setdefault(
                        doc_id, IndexFailure(kind, reported, f"invalid document: {problem!r}")
                    )
                    continue
                for target in targets:
                    action = {"_index": target, **meta, "version_type": "external"}
                    operations += [{"index": action}, source]
                    sent.append(object_id)
            if not operations:
                continue
            response = self.engine.bulk(operations)
            for doc_id, (status, error) in zip(sent, bulk_items(response, len(sent)), strict=True):
                if error is None or error.get("type") == VERSION_CONFLICT:
                    continue
                if status == 429 or status >= 500:
                    transient.append(f"{doc_id}: {reason(error)}")
                    continue
                failures.setdefault(doc_id, IndexFailure(kind, doc_id, reason(error)))
        if transient:
            raise SearchEngineError(
                f"search engine refused {len(transient)} {kind} document(s) for now: "
                + "; ".join(transient[:5]),
                status=429,
            )
        return list(failures.values())

    def delete(self, kind: Kind, ids: list[int]) -> None:
        if not ids:
            return
        self._ensure_ready()
        targets = self._write_targets(kind)
        for start in range(0, len(ids), self.bulk_chunk):
            chunk = ids[start : start + self.bulk_chunk]
            operations = [
                {"delete": {"_index": target, "_id": str(int(doc_id))}}
                for target in targets
                for doc_id in chunk
            ]
            response = self.engine.bulk(operations)
            refused = [
                f"{reason(error)} (status {status})"
                for status, error in bulk_items(response, len(operations))
                if error is not None
            ]
            if refused:
                raise SearchEngineError(
                    f"search engine refused {len(refused)} deletion(s): {refused[0]}"
                )
        # A delete leaves a tombstone with a version above the document's revision;
        # the engine prunes it (gc_deletes is 0) at a refresh once its coarse clock
        # (ticking every 200 ms) has moved on. Until then the document could not be
        # indexed again at its own revision.
        time.sleep(self.tombstone_wait)
        for target in targets:
            self.engine.refresh(target)

    # --- rebuilds and reconciliation --------------------------------------------------

    def rebuild(
        self, kind: Kind, batches: Iterable[list[dict]], progress: Progress | None = None
    ) -> None:
        alias, building = self.alias(kind), self.building_alias(kind)
        for stale in self.engine.alias_indices(building):
            # A rebuild that died half-way (concurrent rebuilds are not supported).
            logger.warning("search: dropping %s, left behind by an unfinished rebuild", stale)
            self.engine.delete_index(stale)
        new = self._new_index_name(alias)
        caps = self.capabilities
        self.engine.create_index(
            new,
            settings={**index_settings(caps), "refresh_interval": "-1"},
            mappings=mappings(caps),
            aliases={building: {}},
        )
        try:
            for batch in batches:
                if not batch:
                    continue
                for failure in self._bulk_index(kind, batch, [new]):
                    logger.error("search: %s %s not indexed: %s", kind, failure.id, failure.reason)
                if progress is not None:
                    progress(len(batch))
            self.engine.put_settings(new, {"index": {"refresh_interval": None}})
            self.engine.refresh(new)
            old = self.engine.alias_indices(alias)
            actions: list[dict] = [{"remove": {"index": name, "alias": alias}} for name in old]
            if not old and self.engine.index_exists(alias):
                actions.append({"remove_index": {"index": alias}})  # a stray concrete index
            actions += [
                {"add": {"index": new, "alias": alias}},
                {"remove": {"index": new, "alias": building}},
            ]
            self.engine.update_aliases(actions)
        except BaseException:
            with contextlib.suppress(SearchEngineError):
                self.engine.delete_index(new)
            raise
        self._ready = True
        old = [name for name in old if name != new]
        if old:
            time.sleep(self.retire_delay)  # let searches that resolved the alias finish
            for name in old:
                self.engine.delete_index(name)

    def revisions(self, kind: Kind) -> dict[int, int]:
        """Read after a refresh: reconciliation must see every write made so far."""
        try:
            self.engine.refresh(self.alias(kind))
        except SearchEngineError as error:
            if error.error_type != INDEX_NOT_FOUND:
                raise
        found: dict[int, int] = {}
        search = (
            Search()
            .source(False)
            .sort({"id": {"order": "asc"}})
            .extra(size=self.scan_size, version=True, track_total_hits=False)
        )
        for hit in self._scan(self.alias(kind), search):
            found[int(hit["_id"])] = int(hit["_version"])
        return found


def bulk_items(response: dict, expected: int) -> Iterator[tuple[int, dict | None]]:
    """(status, error or None) of every bulk item, in request order."""
    items = response.get("items") or []
    if len(items) != expected:
        raise SearchEngineError(f"bulk answered {len(items)} items for {expected} sent")
    for item in items:
        (result,) = item.values()
        status = int(result.get("status", 500))
        error = result.get("error")
        if error is None and status >= 300 and result.get("result") != "not_found":
            error = {"type": "unknown", "reason": f"status {status}"}
        yield status, (error if error is None or isinstance(error, dict) else {"reason": error})


def searched_texts(document: dict) -> list[str]:
    """The texts of a document that the search box reaches (mappings.TEXT_FIELDS)."""
    texts = [str(document.get(name) or "") for name in ("title", "description", "file_name")]
    for name in ("keywords", "taxa", "taxon_terms"):
        value = document.get(name)
        texts += [str(item) for item in value] if isinstance(value, list) else []
    return texts
