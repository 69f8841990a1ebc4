"""The API contract, checked by Schemathesis against the live server on PostgreSQL:
every check, every phase (examples, coverage, fuzzing, stateful), reads and writes
with a token of every scope. The run is bounded (examples per operation, scenarios
of the stateful phase) and deterministic (Schemathesis's deterministic generation),
so a failure reproduces with the command it prints; its whole output goes to
artifacts/schemathesis/output.txt.

No check and no operation is left out, and Schemathesis finds nothing:
schemathesis-baseline.json accepts no failure. Its entries are keyed by operation,
check and status only, so one would hide every later failure of that kind; what a
schema cannot state is told to Schemathesis precisely instead: rules between fields,
lookups and check digits by the hooks (schemathesis_hooks.py, valid cases only), and
one status for one operation in schemathesis.toml, each with its reason. The
stateful phase follows the schema's OpenAPI links from what the `reachable` fixture
put in the lists (an annotation, a job, a deposit) and from what it creates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aquacat import tokens
from curation.models import Deposit
from curation.services import annotations, labels
from inference.services import start_job
from tests.conftest import ARTIFACTS, ROOT
from tests.inference.conftest import register_shipped

pytestmark = pytest.mark.services("postgres")

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "8")
BASELINE = Path(__file__).with_name("schemathesis-baseline.json")
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture
def unthrottled(api_settings):
    api_settings.API_THROTTLE_RATES = {"token": None, "address": None}


@pytest.fixture
def reachable(people, catalogue):
    """What the lists' first rows lead the stateful phase to (the schema's links): a
    label set in use, an annotation, a model version with a job, and a deposit,
    found by asking to publish its set again."""
    owner = people["owner"]
    label_set = labels.create_label_set(
        actor=owner, name="Plankton", labels=[{"name": "Copepoda"}, {"name": "Diatom"}]
    )
    draft = catalogue["draft"]
    annotation = annotations.create_annotation(
        actor=owner, image=draft.images.get(), label=label_set.labels.get(name="Copepoda")
    )
    version = register_shipped()
    job = start_job(version, {"image_set": draft.pk}, owner, batch_size=1)
    Deposit.objects.create(image_set=catalogue["public"], created_by=owner)
    return {"annotation": annotation, "job": job}


def schemathesis_run(
    base: str, secret: str, report: Path, workdir: Path
) -> subprocess.CompletedProcess:
    """The run, from a folder of its own: Schemathesis keeps the failures it found in
    `.schemathesis/` of its working folder and replays them first, which would make
    one run depend on the runs before it."""
    command = [
        str(SCHEMATHESIS),
        "--no-color",
        f"--config-file={CONFIG}",
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


def test_schemathesis_finds_nothing(live_server, people, reachable, unthrottled, tmp_path):
    """A token of the owner of every set, with every scope, so writes reach the
    services (a token without them is refused before the body is read)."""
    _token, secret = tokens.create_token(
        user=people["owner"], name="contract", scopes=("read", "write", "publish")
    )
    # Schemathesis makes a missing baseline from the run, accepting whatever it finds.
    assert BASELINE.exists(), f"{BASELINE} is missing"
    baseline = json.loads(BASELINE.read_text())["entries"]
    assert baseline == [], "the contract is exact: state what a schema cannot in the hooks"
    report = ARTIFACTS / "schemathesis"
    result = schemathesis_run(live_server.url, secret, report, tmp_path)
    (report / "output.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
