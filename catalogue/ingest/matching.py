"""Which files a sidecar speaks of: its entries' names matched to the names of an ingest.

A sidecar names images relative to its own folder (EcoTaxa takes the TSV's folder as
the images' base; a UVP6 TSV names `sub1/x.png`), by a path relative to the source,
or by base name only. A name is looked up in that order; a base name may match
several files, and then each gets the entry (as a sidecar beside copies would).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath


def folder_of(name: str) -> str:
    """The folder a file sits in within its source, "" at the top."""
    parent = PurePosixPath(name).parent.as_posix()
    return "" if parent == "." else parent


def under(name: str, folder: str) -> bool:
    """Whether `name` is in `folder` or below it."""
    return not folder or name.startswith(folder + "/")


class NameIndex:
    """File names, looked up as sidecar entries name them."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names: set[str] = set()
        self.by_base: dict[str, list[str]] = {}
        for name in names:
            self.add(name)

    def add(self, name: str) -> None:
        if name not in self.names:
            self.names.add(name)
            self.by_base.setdefault(PurePosixPath(name).name, []).append(name)

    def find(self, entry: str, folder: str) -> list[str]:
        """The names an entry of a sidecar in `folder` stands for; [] when none."""
        beside = f"{folder}/{entry}" if folder else entry
        if beside in self.names:
            return [beside]
        if entry in self.names:
            return [entry]
        same_base = self.by_base.get(PurePosixPath(entry).name, [])
        nearby = [name for name in same_base if under(name, folder)]
        return nearby or list(same_base)
