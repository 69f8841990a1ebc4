"""A second AquaCat: this code base served by gunicorn in a process of its own, on a
PostgreSQL database of its own (migrated from empty), holding published sets with
images and validated labels. Its data is written by this module run as a script in
that database (tests/harvest/aquacat_remote_data.py, a script run in a process of its
own), so the harvesting test process never touches it but through its API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RemoteAquaCat:
    def __init__(self, name: str, **env: str):
        parts = urlsplit(os.environ["DATABASE_URL"])
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.name = name
        self.database_url = urlunsplit(parts._replace(path=f"/{name}"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SEARCH_BACKEND": "database",
            **env,
        }
        self.server: subprocess.Popen | None = None

    def create(self) -> RemoteAquaCat:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.name}"')
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True)
        return self

    def start(self) -> RemoteAquaCat:
        self.server = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "aquacat.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                "--workers=2",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        for _ in range(120):
            try:
                if requests.get(f"{self.url}/api/v1/image-sets/", timeout=10).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("the second AquaCat did not start")

    def do(self, command: str, payload: dict) -> dict:
        """Run a command of this module in the second AquaCat's database."""
        done = subprocess.run(
            [PYTHON, "-m", "tests.harvest.aquacat_remote_data", command],
            cwd=ROOT,
            env=self.env,
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)
            self.server = None

    def drop(self) -> None:
        self.stop()
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
