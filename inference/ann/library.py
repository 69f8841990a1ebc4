"""faiss, loaded on first use.

Loading the index library only when an index is first made, read or searched
keeps it out of processes that never ask for one, and out of a process's start
(before a server forks its workers, an OpenMP runtime that has started threads
does not survive the fork). An earlier library (usearch 2.26), loaded before
torch, made TorchScript hang; faiss does not (tests/inference/test_ann_library.py),
and it stays loaded on first use all the same.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType


@cache
def faiss_module() -> ModuleType:
    import faiss  # noqa: PLC0415 - on first use: see the module's doc

    return faiss
