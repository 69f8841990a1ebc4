"""The files of a deposit as written to disk (`BuiltFile`): name, path, size, and the
md5 that repositories report, taken as the file is read for the upload
(`BuiltFile.open`) or read from the file when first asked for."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1024 * 1024


@dataclass
class BuiltFile:
    """A file to upload: its name, where it lies, its size and md5 (as repositories report)."""

    name: str
    path: Path
    size: int
    known_md5: str = field(default="", repr=False)

    @property
    def md5(self) -> str:
        if not self.known_md5:
            self.known_md5 = md5_of(self.path)
        return self.known_md5

    def open(self) -> HashingReader:
        """The file for an upload body: its md5 is taken as it is read."""
        return HashingReader(self)


class HashingReader:
    """A built file read once (by an HTTP client sending it), its md5 taken on the way:
    read to the end, it sets the file's md5, so no second read is needed."""

    def __init__(self, built: BuiltFile):
        self.built = built
        self.file = built.path.open("rb")
        self.digest = hashlib.md5(usedforsecurity=False)
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        self.digest.update(chunk)
        self.done += len(chunk)
        if self.done == self.built.size:
            self.built.known_md5 = self.digest.hexdigest()
        return chunk

    def __len__(self) -> int:
        """What is left to read: HTTP clients take it as the body's length."""
        return self.built.size - self.done

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> HashingReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def write(folder: Path, name: str, body: bytes) -> BuiltFile:
    path = folder / name
    path.write_bytes(body)
    return BuiltFile(name, path, len(body))


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def built(name: str, path: Path) -> BuiltFile:
    return BuiltFile(name, path, path.stat().st_size)
