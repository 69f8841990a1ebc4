"""The API contract, checked by Schemathesis against the live server on PostgreSQL:
every check, every phase (examples, coverage, fuzzing, stateful), reads and writes
with a token of every scope. The run is bounded (examples per operation) and
deterministic (Schemathesis's deterministic generation), so a failure reproduces with
the command it prints; its whole output goes to artifacts/schemathesis/output.txt.

No check and no operation is left out. What the API still gets wrong is listed in
schemathesis-baseline.json, one entry per operation, check and status, each with its
`reason` (what a schema cannot say, or what its owner has still to change); any other
failure fails this test. An entry that no longer happens is dropped with
`schemathesis run ... --baseline-prune` (the command line below)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aquacat import tokens
from tests.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.services("postgres")

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "8")
BASELINE = Path(__file__).with_name("schemathesis-baseline.json")


@pytest.fixture
def unthrottled(api_settings):
    api_settings.API_THROTTLE_RATES = {"token": None, "address": None}


def schemathesis_run(
    base: str, secret: str, report: Path, workdir: Path
) -> subprocess.CompletedProcess:
    """The run, from a folder of its own: Schemathesis keeps the failures it found in
    `.schemathesis/` of its working folder and replays them first, which would make
    one run depend on the runs before it."""
    command = [
        str(SCHEMATHESIS),
        "--no-color",
        "run",
        f"{base}/api/v1/schema/",
        "--checks=all",
        "--phases=examples,coverage,fuzzing,stateful",
        f"--max-examples={EXAMPLES}",
        "--generation-deterministic",
        "--workers=1",
        "--request-timeout=60",
        "--suppress-health-check=all",
        f"--header=Authorization: Bearer {secret}",
        f"--baseline={BASELINE}",
        "--report=junit",
        f"--report-dir={report}",
    ]
    hooks = {"SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, **hooks},
        cwd=workdir,
    )


def test_schemathesis_finds_nothing(live_server, people, catalogue, unthrottled, tmp_path):
    """A token of the owner of every set, with every scope, so writes reach the
    services (a token without them is refused before the body is read)."""
    _token, secret = tokens.create_token(
        user=people["owner"], name="contract", scopes=("read", "write", "publish")
    )
    # Schemathesis makes a missing baseline from the run, accepting whatever it finds.
    assert BASELINE.exists(), f"{BASELINE} is missing"
    baseline = json.loads(BASELINE.read_text())["entries"]
    assert all(entry.get("reason") for entry in baseline), "every accepted failure says why"
    report = ARTIFACTS / "schemathesis"
    result = schemathesis_run(live_server.url, secret, report, tmp_path)
    (report / "output.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
