"""Fixity: every stored file re-hashed on a rota; a changed, missing or unreadable file
is found, kept as such until it is read whole again, and shown to operators."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test import Client

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.fixity.selectors import fixity_summary
from catalogue.fixity.services import run_rota, share_per_run
from catalogue.models import FileCheck
from tests.catalogue.conftest import local_storages, real_jpegs

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db]


@pytest.fixture
def stored(storage):
    """Two sets, one a new version sharing the other's bytes; 3 images, 9 files."""
    first = services.create_image_set(title="Fixity", actor=SYSTEM)
    services.ingest(first, real_jpegs(3), actor=SYSTEM)
    return first


def keys_of(image_set) -> list[str]:
    return [
        key
        for image in image_set.images.order_by("pk")
        for key in (image.storage_key, image.thumbnail_small, image.thumbnail_medium)
    ]


def replace(key: str, data: bytes) -> None:
    default_storage.delete(key)
    default_storage.save(key, ContentFile(data))


def test_the_rota_reads_every_file_and_finds_each_kind_of_problem(stored):
    first = run_rota(limit=100)
    assert first["enrolled"] == 9 and first["files"] == 9 and first["checked"] == 9
    # Originals are checked against their image's sha256; thumbnails get a baseline.
    assert first["results"] == {"ok": 3, "baseline": 6}
    assert run_rota(limit=100)["results"] == {"ok": 9}

    original, small, medium, *_ = keys_of(stored)
    replace(original, b"not the bytes that were ingested")
    default_storage.delete(small)
    with default_storage.open(medium, "rb") as kept:
        thumbnail = kept.read()
    replace(medium, thumbnail[:-10] + b"0123456789")
    report = run_rota(limit=100)
    assert report["results"] == {"ok": 6, "mismatch": 2, "missing": 1}
    changed = FileCheck.objects.get(storage_key=original)
    assert changed.result == "mismatch"
    assert changed.expected_sha256 == stored.images.get(storage_key=original).sha256
    assert changed.first_problem is not None
    assert FileCheck.objects.get(storage_key=small).result == "missing"

    summary = fixity_summary()
    assert summary["problems"] == 3 and summary["files"] == 9
    shown = {row["key"]: row for row in summary["problem_files"]}
    assert shown[original]["image_sets"] == [str(stored.uuid)]
    assert shown[small]["result"] == "missing"

    # Repaired (the original put back): ok again, and the problem's date cleared.
    with open(real_jpegs(3)[0], "rb") as source:
        replace(original, source.read())
    run_rota(limit=100)
    assert FileCheck.objects.get(storage_key=original).result == "ok"
    assert FileCheck.objects.get(storage_key=original).first_problem is None


def test_a_file_that_cannot_be_read_is_unreadable_never_ok(settings, tmp_path):
    """On a local store a directory where the file should be cannot be read: the check
    says so, with the error, instead of counting it as fine."""
    settings.STORAGES = local_storages(tmp_path / "media")
    image_set = services.create_image_set(title="Unreadable", actor=SYSTEM)
    services.ingest(image_set, real_jpegs(1), actor=SYSTEM)
    image = image_set.images.get()
    path = tmp_path / "media" / image.storage_key
    path.unlink()
    path.mkdir()
    run_rota(limit=10)
    row = FileCheck.objects.get(storage_key=image.storage_key)
    assert row.result == "unreadable" and "IsADirectoryError" in row.detail
    assert storages["default"].exists(image.storage_key)


def test_each_run_reads_its_share_oldest_first_and_drops_deleted_files(stored, settings):
    settings.SCHEDULE_PERIODS = {**settings.SCHEDULE_PERIODS, "fixity": 3600}
    settings.FIXITY_PERIOD_DAYS = 1
    # 9 files over 24 runs a day: one file a run covers them all within the period.
    assert share_per_run(9) == 1 and share_per_run(100) == 5
    run_rota(limit=4)
    checked = set(FileCheck.objects.exclude(checked=None).values_list("storage_key", flat=True))
    run_rota(limit=5)
    assert FileCheck.objects.filter(checked=None).count() == 0
    second = FileCheck.objects.order_by("-checked")[:5]
    assert not checked & {row.storage_key for row in second}  # never-checked first
    services.delete_image_set(stored, actor=SYSTEM)
    assert run_rota(limit=1)["dropped"] == 9
    assert FileCheck.objects.count() == 0


def test_the_health_report_and_the_admin_show_mismatches(stored, django_user_model, settings):
    settings.HEALTH_TIMEOUT = 0.5  # no worker here: the broker's part fails fast
    run_rota(limit=100)
    original = keys_of(stored)[0]
    replace(original, b"changed")
    run_rota(limit=100)
    health = Client().get("/health").json()
    assert health["fixity"]["problems"] == 1
    assert health["fixity"]["problem_files"][0]["key"] == original
    admin = django_user_model.objects.create_superuser("root", password="pw-root-123")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/catalogue/filecheck/?result__exact=mismatch")
    assert page.status_code == 200
    assert original in page.content.decode()
