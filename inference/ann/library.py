"""usearch, loaded on first use.

usearch's compiled module, loaded into a process before torch, makes TorchScript
hang there (`torch.jit.script` and `torch.jit.load` never return; seen with usearch
2.26 and torch 2.x). Workers and commands load torch when they start (their task
and model modules import it), web processes never load torch, and the test process
loads it first (tests/conftest.py); loading usearch only when an index is first
made, read or searched keeps every one of them safe.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from usearch.index import Index


@cache
def index_class() -> type[Index]:
    from usearch.index import Index  # noqa: PLC0415 - on first use: see the module's doc

    return Index
