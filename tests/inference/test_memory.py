"""Freed memory kept for the next forward pass (inference/memory.py): a block the
size of a batch's activations, freed and asked for again, faults no new pages in
once tuned, and faults all of them again with glibc's defaults."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import ctypes, json, os, resource, sys
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "aquacat.settings"
import django
django.setup()
from inference.memory import keep_freed_memory
tuned = keep_freed_memory()
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
size = 24 * 1024 * 1024
def block_in_use():
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    return block
libc.free(block_in_use())
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
libc.free(block_in_use())
after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
print(json.dumps({{"tuned": tuned, "faults": after - before, "pages": size // 4096}}))
"""

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)


def probe(tuning: str) -> dict:
    env = {**os.environ, "INFERENCE_MALLOC_TUNING": tuning}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(root=str(ROOT))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_freed_block_is_reused_without_new_page_faults():
    tuned = probe("true")
    assert tuned["tuned"] is True
    # Some interpreter work happens between the two readings; the block is 6,144 pages.
    assert tuned["faults"] < tuned["pages"] // 10


def test_glibc_defaults_fault_the_block_in_again_when_tuning_is_off():
    untuned = probe("false")
    assert untuned["tuned"] is False
    assert untuned["faults"] > untuned["pages"] // 2
