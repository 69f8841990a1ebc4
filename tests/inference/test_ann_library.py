"""The index library and torch in one process: loading faiss first must not make
TorchScript hang (an earlier index library did), in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import faiss, torch
model = torch.nn.Linear(3, 2)
scripted = torch.jit.script(model)
same = torch.equal(scripted(torch.ones(1, 3)), model(torch.ones(1, 3)))
print("scripted", same, faiss.IndexFlatIP(3).d)
"""


def test_faiss_loaded_before_torch_leaves_torchscript_working():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "scripted True 3" in done.stdout
