"""The restore drill: a backup (pg_dump and a copy of the stored files) restored into a
fresh database and a fresh bucket, the search index rebuilt and every file checked,
finds every set, image, annotation and checksum again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import boto3
import psycopg
import pytest
import requests
from django.conf import settings as django_settings
from django.db import connection

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image, ImageSet
from curation.models import Annotation
from tests.catalogue.conftest import s3_storages
from tests.conftest import database_url
from tests.curation.review_data import set_to_review

pytestmark = [
    pytest.mark.services("postgres", "s3", "opensearch"),
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parent.parent.parent


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def fresh(django_user_model):
    """A new database and a new bucket, dropped afterwards."""
    token = uuid.uuid4().hex[:8]
    source = urlparse(database_url(connection.settings_dict))
    name, bucket = f"aquacat_restore_{token}", f"restore-{token}"
    admin = urlunparse(source._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    s3 = boto3.resource(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=bucket)
    yield {
        "url": urlunparse(source._replace(path=f"/{name}")),
        "bucket": bucket,
        "index_prefix": f"aquacat-restore-{token}",
    }
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    s3.Bucket(bucket).objects.all().delete()
    s3.Bucket(bucket).delete()
    requests.delete(f"{os.environ['SEARCH_URL']}/aquacat-restore-{token}*", timeout=30)


def rows(url: str, query: str) -> set:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute(query)}


def test_a_backup_restores_into_a_fresh_database_and_bucket(
    settings, fresh, django_user_model, tmp_path
):
    prefix = f"tests/{uuid.uuid4().hex}"
    settings.STORAGES = s3_storages(prefix)
    owner = django_user_model.objects.create_user("owner")
    set_to_review(owner=owner, images=3, predictions=4)
    services.create_image_set(title="Second set, no images yet", actor=SYSTEM)
    source_env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "S3_PREFIX": prefix,
        "SEARCH_INDEX_PREFIX": django_settings.SEARCH_INDEX_PREFIX,
    }
    folder = tmp_path / "backup"
    made = manage(source_env, "backup", str(folder))
    assert made.returncode == 0, made.stderr
    backed_up = json.loads(made.stdout.strip().splitlines()[-1])
    assert backed_up["files"] == 9  # three originals, six thumbnails
    assert (folder / "database.dump").stat().st_size > 0

    restore_env = {
        **source_env,
        "DATABASE_URL": fresh["url"],
        "S3_BUCKET": fresh["bucket"],
        "S3_PREFIX": "",
        "SEARCH_INDEX_PREFIX": fresh["index_prefix"],
    }
    restored = manage(restore_env, "restore", str(folder))
    assert restored.returncode == 0, restored.stderr
    report = json.loads(restored.stdout.strip().splitlines()[-1])

    assert report["image_sets"] == ImageSet.objects.count() == 2
    assert report["images"] == Image.objects.count() == 3
    assert report["annotations"] == Annotation.objects.count() == 4
    assert report["files"] == 9 and report["checksums_as_backed_up"] == 9
    assert report["checksums_differing"] == []
    assert set(report["fixity"]) <= {"ok", "baseline"} and sum(report["fixity"].values()) == 9
    search = {entry["kind"]: entry for entry in report["search"]}
    assert search["set"]["in_database"] == 2 and search["image"]["in_database"] == 3
    assert not search["set"]["failed"] and not search["image"]["failed"]
    # Every set, image (by its checksum) and annotation is there again.
    url = fresh["url"]
    assert rows(url, "SELECT uuid FROM catalogue_imageset") == set(
        ImageSet.objects.values_list("uuid", flat=True)
    )
    assert rows(url, "SELECT sha256 FROM catalogue_image") == set(
        Image.objects.values_list("sha256", flat=True)
    )
    assert rows(url, "SELECT uuid FROM curation_annotation") == set(
        Annotation.objects.values_list("uuid", flat=True)
    )

    # A second restore into what is no longer empty is refused, naming why.
    again = manage(restore_env, "restore", str(folder))
    assert again.returncode != 0 and "restore into a fresh, empty database" in again.stderr
