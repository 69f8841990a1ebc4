"""The embedded default end to end: what `make run` starts, with no server at all."""

import json
import subprocess
import sys

from tests.conftest import ROOT
from tests.test_settings import bare_env

HEALTH = "import json; from aquacat.health import health_report; print(json.dumps(health_report()))"


def test_embedded_worker_and_health(tmp_path):
    env = bare_env(tmp_path)
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], check=True, **run)
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "aquacat", "worker", "--concurrency=1"],
        cwd=ROOT,
        env={**env, "HEALTH_TIMEOUT": "60"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", HEALTH],
            check=True,
            **{**run, "env": {**env, "HEALTH_TIMEOUT": "60"}},
        )
        report = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    assert report["status"] == "ok", (report, (tmp_path / "worker.log").read_text()[-2000:])
    assert report["parts"]["database"]["backend"] == "sqlite"
    assert report["parts"]["search"]["backend"] == "database"
    assert report["parts"]["storage"]["backend"] == "FileSystemStorage"
    assert (tmp_path / "broker.sqlite3").exists()
