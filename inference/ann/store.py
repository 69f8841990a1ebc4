"""The index in the default storage (a local folder or S3), and its copy in each
process.

For each embedder version, `similarity/<version>/manifest.json` names the
current index file and what it holds; a worker writes a new file, then the
manifest. A process reads the manifest at most every SIMILARITY_INDEX_CHECK_SECONDS
and, when it names another file, copies that file to a local cache folder and
memory-maps it (read-only): processes on one machine share its pages, and a
query never waits for storage once the file is here."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

from inference.ann import graph

if TYPE_CHECKING:
    from faiss import IndexIVF as Index

PREFIX = "similarity"


@dataclass(frozen=True)
class Manifest:
    file: str  # the index file's name in storage
    count: int  # vectors in it
    dimensions: int
    dtype: str
    last_embedding_id: int  # every embedding row up to this id was considered
    built: float  # unix time

    @classmethod
    def parse(cls, data: dict) -> Manifest:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass
class Loaded:
    manifest: Manifest
    index: Index
    checked: float


def folder(version_id: int) -> str:
    return f"{PREFIX}/{version_id}"


def manifest_name(version_id: int) -> str:
    return f"{folder(version_id)}/manifest.json"


def read_manifest(version_id: int) -> Manifest | None:
    name = manifest_name(version_id)
    try:
        with default_storage.open(name, "rb") as handle:
            manifest = Manifest.parse(json.loads(handle.read()))
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return None  # none yet, or being replaced this instant: keep what is loaded
    except OSError:
        return None
    # A file of an earlier index library is not read: the next update builds anew.
    return manifest if manifest.file.endswith(graph.SUFFIX) else None


def publish(version_id: int, index: Index, manifest_fields: dict) -> Manifest:
    """Write the index under a new name, then the manifest naming it; drop the
    files older than the one it replaces (a process may still be copying that)."""
    previous = read_manifest(version_id)
    with tempfile.TemporaryDirectory() as scratch:
        local = Path(scratch) / f"index{graph.SUFFIX}"
        graph.save(index, local)
        with local.open("rb") as handle:
            name = default_storage.save(
                f"{folder(version_id)}/index-{uuid.uuid4().hex}{graph.SUFFIX}", File(handle)
            )
    manifest = Manifest(file=name, **manifest_fields)
    if default_storage.exists(manifest_name(version_id)):
        default_storage.delete(manifest_name(version_id))
    default_storage.save(
        manifest_name(version_id), ContentFile(json.dumps(manifest.__dict__).encode())
    )
    keep = {name, previous.file if previous else ""}
    _, files = default_storage.listdir(folder(version_id))
    for file in files:
        path = f"{folder(version_id)}/{file}"
        if file.startswith("index-") and path not in keep:
            default_storage.delete(path)
    return manifest


def cache_dir() -> Path:
    path = Path(settings.SIMILARITY_INDEX_CACHE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_file(manifest: Manifest) -> Path:
    """A local copy of the manifest's index file (written once, renamed into place)."""
    target = cache_dir() / manifest.file.replace("/", "_")
    if not target.exists():
        partial = target.with_suffix(f".{uuid.uuid4().hex}.part")
        with default_storage.open(manifest.file, "rb") as source, partial.open("wb") as out:
            shutil.copyfileobj(source, out, 8 << 20)
        partial.replace(target)
    return target


def forget_older(version_id: int, current: Path) -> None:
    """Cached files of older generations (a process that maps one keeps its pages)."""
    stem = f"{folder(version_id).replace('/', '_')}_index-"
    for path in cache_dir().glob(f"{stem}*{graph.SUFFIX}"):  # not a copy under way
        if path != current:
            path.unlink(missing_ok=True)


_loaded: dict[int, Loaded] = {}
_absent: dict[int, float] = {}  # when the manifest was last found missing
_lock = threading.Lock()


def current(version_id: int) -> Loaded | None:
    """The index this process holds for the version, reloaded when the manifest
    names a new file; None while no worker has built one. One thread checks and
    loads while the others go on with the index held (no query waits for a copy)."""
    every = settings.SIMILARITY_INDEX_CHECK_SECONDS
    now = time.monotonic()
    with _lock:
        held = _loaded.get(version_id)
        if held is not None and now - held.checked < every:
            return held
        if held is None and now - _absent.get(version_id, -every) < every:
            return None
        if held is not None:
            held.checked = now
    manifest = read_manifest(version_id)
    if manifest is None:
        if held is None:
            with _lock:
                _absent[version_id] = now
        return held
    if held is not None and held.manifest.file == manifest.file:
        return held
    path = fetch_file(manifest)
    index = graph.load(path, view=True)
    loaded = Loaded(manifest=manifest, index=index, checked=now)
    with _lock:
        _loaded[version_id] = loaded
    forget_older(version_id, path)
    return loaded


def load_writable(manifest: Manifest) -> Index | None:
    """The published index as an in-memory copy a worker can add to (read from a
    scratch file: the cache folder's files come and go with web processes)."""
    with tempfile.TemporaryDirectory() as scratch:
        local = Path(scratch) / f"index{graph.SUFFIX}"
        with default_storage.open(manifest.file, "rb") as source, local.open("wb") as out:
            shutil.copyfileobj(source, out, 8 << 20)
        return graph.load(local, view=False)


def forget() -> None:
    """Drop this process's loaded indexes (tests, or after a storage change)."""
    with _lock:
        _loaded.clear()
        _absent.clear()
