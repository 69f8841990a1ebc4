"""Uploaded weights in the file storage, and their local copies for workers.

A version registered from an upload names its weights `storage:models/<sha256>.pt`;
a worker (on any machine) copies the file once into VAR_DIR/weights and loads the
copy. Free of torch: the web process stores, workers fetch.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

STORAGE_PREFIX = "storage:"


def storage_reference(digest: str) -> tuple[str, str]:
    """The storage key of weights with this sha256, and how a version names it."""
    key = f"models/{digest}.pt"
    return key, STORAGE_PREFIX + key


def local_copy(reference: str) -> Path:
    """A local file with the stored weights (copied on first use; a copy being
    written is never seen half-made: it is renamed into place when complete)."""
    key = reference.removeprefix(STORAGE_PREFIX)
    target = Path(settings.VAR_DIR) / "weights" / Path(key).name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(handle, "wb") as out, default_storage.open(key, "rb") as source:
        shutil.copyfileobj(source, out)
    os.replace(partial, target)
    return target
