"""Settings: the embedded default with no variables, production checks with them."""

import json
import os
import secrets
import subprocess
import sys

from tests.conftest import ROOT

SERVICE_VARIABLES = (
    "DATABASE_URL",
    "SEARCH_URL",
    "SEARCH_ENGINE",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "DEBUG",
)

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
print(json.dumps({
    "database": settings.DATABASES["default"]["ENGINE"],
    "search": settings.SEARCH_URL,
    "broker": settings.CELERY_BROKER_URL,
    "storage": type(storages["default"]).__name__,
    "debug": settings.DEBUG,
}))
"""


def bare_env(tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="aquacat.settings", AQUACAT_VAR_DIR=str(tmp_path), **extra)
    return env


def test_no_variables_give_the_embedded_default(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=bare_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = json.loads(out)
    assert values["database"] == "django.db.backends.sqlite3"
    assert values["search"] == ""
    assert values["broker"] == f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    assert values["storage"] == "FileSystemStorage"
    assert values["debug"] is False


def test_variables_select_the_real_services(tmp_path):
    env = bare_env(
        tmp_path,
        DATABASE_URL="postgres://u:p@db.example.org:5432/aquacat",
        SEARCH_URL="http://search.example.org:9200",
        CELERY_BROKER_URL="amqp://guest@mq.example.org//",
        S3_BUCKET="images",
        S3_ENDPOINT_URL="http://s3.example.org",
    )
    values = json.loads(
        subprocess.run(
            [sys.executable, "-c", PRINT_SETTINGS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert values["database"] == "django.db.backends.postgresql"
    assert values["search"] == "http://search.example.org:9200"
    assert values["broker"] == "amqp://guest@mq.example.org//"
    assert values["storage"] == "S3Storage"


def check_deploy(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_passes_with_production_variables(tmp_path):
    env = bare_env(
        tmp_path,
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="aquacat.example.org",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        SESSION_COOKIE_SECURE="true",
        CSRF_COOKIE_SECURE="true",
    )
    result = check_deploy(env)
    assert result.returncode == 0, result.stderr


def test_check_deploy_flags_the_embedded_defaults(tmp_path):
    result = check_deploy(bare_env(tmp_path))
    assert result.returncode != 0
    assert "security.W009" in result.stderr  # the embedded SECRET_KEY
    assert "security.W008" in result.stderr  # no SSL redirect


def test_embedded_mode_migrates_on_sqlite(tmp_path):
    env = bare_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    assert (tmp_path / "aquacat.sqlite3").stat().st_size > 0
