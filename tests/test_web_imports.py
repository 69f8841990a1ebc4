"""Web processes never load torch: the portal's URLs, views and API are imported as a
web server imports them, in a fresh interpreter, and torch must not be among the
modules (only workers that run a model load it)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROGRAM = """
import json, sys
from aquacat.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns  # every view module and the API
from django.test import Client
Client().get("/")
heavy = ("torch", "torchvision", "onnxruntime")
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in heavy)))
"""


def test_the_web_process_does_not_import_torch(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SEARCH_URL", "S3_BUCKET")
    }
    environment.update(AQUACAT_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="aquacat.settings")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    run = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []
