"""Derived images of a recording saved to storage in one thread beside the decoding.

Profiling the audio ingest (cProfile, 40 min of 2 kHz hydrophone sound in 240
segments) showed a fifth of its time in the three storage writes of each segment
(the PNG and two thumbnails: a directory made or found, a file opened, written,
closed; on S3 a request each), more than in their FFTs. One thread saves them
while the next segment is decoded and drawn; the work is the same, the waits
overlap. At most `MAX_PENDING` files wait, so a slow storage holds
back the decoding instead of filling memory.

The thread saves through a storage of its own, made from the default storage's
settings: a client that S3 storage caches on the shared instance (and that a forked
ingest process inherits, with its open connections) is never used from two threads
or processes at once.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, cast

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages

MAX_PENDING = 8


class Saver:
    """Saves files in its thread; `finish` waits for them all, `abandon` for those
    started, and each says which keys were stored (to delete when a later step fails)."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recording-saver")
        backend = cast(dict[str, Any], settings.STORAGES["default"])
        self.storage = storages.create_storage(backend)
        self.pending: deque[Future[str]] = deque()
        self.keys: list[str] = []

    def save(self, name: str, content: File) -> Future[str]:
        """Queue `content` to be saved under `name`; the future gives the key storage
        chose. A file's content must stay open until `finish`."""
        while len(self.pending) >= MAX_PENDING:
            self.keys.append(self.pending.popleft().result())
        future = self.pool.submit(self.storage.save, name, content)
        self.pending.append(future)
        return future

    def finish(self) -> list[str]:
        """Wait for every file; a failed save raises here (after the others are done,
        so `abandon` finds each stored key)."""
        while self.pending:
            self.keys.append(self.pending.popleft().result())
        self.pool.shutdown()
        return self.keys

    def abandon(self) -> list[str]:
        """Stop: files not started are dropped; the keys of every file stored."""
        for future in self.pending:
            future.cancel()
        self.pool.shutdown(wait=True)
        for future in self.pending:
            if not future.cancelled() and future.exception() is None:
                self.keys.append(future.result())
        self.pending.clear()
        return self.keys


def resolved(row: dict[str, Any]) -> dict[str, Any]:
    """The row with each saved file's key in place of its future."""
    return {
        field: value.result() if isinstance(value, Future) else value
        for field, value in row.items()
    }
