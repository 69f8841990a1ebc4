"""Ingestion from every source, with sidecars, on local and S3 storage."""

import hashlib
import io
import shutil
import tarfile
import unicodedata
import uuid
import zipfile
import zlib
from datetime import UTC, datetime

import boto3
import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image, IngestBatch
from tests.catalogue.conftest import jpeg_with_exif, real_jpegs, stored_keys

pytestmark = pytest.mark.django_db


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_set(**fields):
    return services.create_image_set(title=fields.pop("title", "Test set"), **fields, actor=SYSTEM)


def assert_stored_under_set(image_set):
    keys = stored_keys()
    assert keys, "nothing stored"
    prefix = f"sets/{image_set.uuid}/"
    outside = [key for key in keys if not key.startswith(prefix)]
    assert outside == []
    expected = set()
    for image in image_set.images.all():
        expected |= {image.storage_key, image.thumbnail_small, image.thumbnail_medium}
    assert keys == expected  # nothing half-made: every stored file belongs to a row


def test_folder_of_real_images(storage, tmp_path):
    folder = tmp_path / "in"
    for path in real_jpegs(12):
        target = folder / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    image_set = new_set()
    batch = services.ingest(image_set, [folder], actor=SYSTEM)
    assert (batch.status, batch.total, batch.added, batch.rejected) == ("done", 12, 12, [])
    for path in real_jpegs(12):
        image = image_set.images.get(file_name=f"{path.parent.name}/{path.name}")
        assert image.sha256 == sha256(path)
        assert image.crc32 == zlib.crc32(path.read_bytes())  # for zip packages
        assert image.size == path.stat().st_size
        assert image.media_type == "image/jpeg"
        with storages["default"].open(image.storage_key, "rb") as stored:
            assert stored.read() == path.read_bytes()
    assert_stored_under_set(image_set)


def test_duplicates_are_skipped_and_reported(storage, tmp_path):
    first, second = real_jpegs(2)
    shutil.copy(first, tmp_path / "copy-of-first.jpg")
    image_set = new_set()
    services.ingest(image_set, [first], actor=SYSTEM)
    batch = services.ingest(
        image_set, [first, second, tmp_path / "copy-of-first.jpg"], actor=SYSTEM
    )
    assert batch.added == 1
    assert [d["name"] for d in batch.duplicates] == [first.name, "copy-of-first.jpg"]
    assert all(d["same_as"] == first.name for d in batch.duplicates)
    assert image_set.images.count() == 2
    assert_stored_under_set(image_set)


def zip_of(paths, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, f"{path.parent.name}/{path.name}")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_upload_with_hostile_members(storage):
    paths = real_jpegs(5)
    data = zip_of(
        paths,
        {
            "../escape.jpg": paths[0].read_bytes(),
            "/etc/passwd.jpg": paths[1].read_bytes(),
            "notes/page.jpg": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            "vector.png": b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "wrong-name.png": paths[2].read_bytes(),
        },
    )
    upload = SimpleUploadedFile("cruise.zip", data, content_type="application/zip")
    image_set = new_set()
    batch = services.ingest(image_set, [[upload]], actor=SYSTEM)
    assert batch.added == 5
    reasons = {r["name"]: r["reason"] for r in batch.rejected}
    assert set(reasons) >= {"notes/page.jpg", "vector.png", "wrong-name.png"}
    assert "HTML document" in reasons["notes/page.jpg"]
    assert "SVG" in reasons["vector.png"]
    assert "the name says '.png' but the content is JPEG" in reasons["wrong-name.png"]
    traversal = [r for r in batch.rejected if "escape" in r["name"] or "passwd" in r["name"]]
    assert len(traversal) == 2
    assert image_set.images.count() == 5
    assert_stored_under_set(image_set)


def test_tar_gz_from_a_path(storage, tmp_path):
    archive = tmp_path / "scans.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in real_jpegs(4):
            tar.add(path, f"{path.parent.name}/{path.name}")
    image_set = new_set()
    batch = services.ingest(image_set, [archive], actor=SYSTEM)
    assert (batch.added, batch.rejected) == (4, [])
    assert sorted(image_set.images.values_list("sha256", flat=True)) == sorted(
        sha256(p) for p in real_jpegs(4)
    )


@pytest.mark.services("s3")
def test_s3_prefix_source(storage):
    client = boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY,
        region_name=settings.S3_REGION,
    )
    prefix = f"incoming/{uuid.uuid4().hex}"
    for path in real_jpegs(6):
        client.upload_file(
            str(path), settings.S3_BUCKET, f"{prefix}/{path.parent.name}/{path.name}"
        )
    client.put_object(Bucket=settings.S3_BUCKET, Key=f"{prefix}/readme.txt", Body=b"hello")
    image_set = new_set()
    batch = services.ingest(image_set, [f"s3://{settings.S3_BUCKET}/{prefix}"], actor=SYSTEM)
    assert batch.added == 6
    assert [r["name"] for r in batch.rejected] == ["readme.txt"]
    names = set(image_set.images.values_list("file_name", flat=True))
    assert names == {f"{p.parent.name}/{p.name}" for p in real_jpegs(6)}


def test_ecotaxa_sidecar_fills_images_and_coverage(storage, tmp_path):
    paths = real_jpegs(3)
    rows = [
        "img_file_name\tobject_lat\tobject_lon\tobject_depth_min\tobject_depth_max"
        "\tobject_date\tobject_time\tobject_annotation_category\tobject_annotation_status"
        "\tobject_annotation_date\tsample_station",
        "[t]\t[f]\t[f]\t[f]\t[f]\t[t]\t[t]\t[t]\t[t]\t[t]\t[t]",
    ]
    positions = [(51.5, 2.8, 5, 10), (51.6, 3.1, 20, 30), (51.4, 2.9, 0, 2)]
    for path, (lat, lon, dmin, dmax) in zip(paths, positions, strict=True):
        rows.append(
            f"{path.name}\t{lat}\t{lon}\t{dmin}\t{dmax}\t20230415\t101500"
            f"\t{path.parent.name}\tvalidated\t20230501\tW08"
        )
    (tmp_path / "ecotaxa_export.tsv").write_text("\n".join(rows) + "\n")
    for path in paths:
        shutil.copy(path, tmp_path / path.name)
    image_set = new_set()
    batch = services.ingest(image_set, [tmp_path], actor=SYSTEM)
    assert (batch.added, batch.rejected) == (3, [])
    image = image_set.images.get(file_name=paths[1].name)
    assert (image.latitude, image.longitude, image.depth) == (51.6, 3.1, 25)
    assert image.captured_at == datetime(2023, 4, 15, 10, 15, tzinfo=UTC)
    assert image.fields["annotation"]["category"] == paths[1].parent.name
    assert image.fields["annotation"]["date"] == "2023-05-01"
    assert image.fields["sample_station"] == "W08"
    image_set.refresh_from_db()
    assert (image_set.south, image_set.north) == (51.4, 51.6)
    assert (image_set.west, image_set.east) == (2.8, 3.1)
    assert (image_set.depth_min, image_set.depth_max) == (1, 25)
    assert set(image_set.derived_coverage) == {"bbox", "time", "depth"}


def test_ifdo_sidecar_in_yaml(storage, tmp_path):
    paths = real_jpegs(2)
    for path in paths:
        shutil.copy(path, tmp_path / path.name)
    items = "\n".join(
        f"  {p.name}:\n    image-latitude: {54 + i}\n    image-longitude: 7.5\n"
        f"    image-depth: {100 + i}\n    image-datetime: '2022-08-0{i + 1} 12:00:00.000000'"
        for i, p in enumerate(paths)
    )
    (tmp_path / "dive_ifdo.yaml").write_text(
        "image-set-header:\n"
        "  image-set-name: Dive 42 transect\n"
        f"  image-set-uuid: {uuid.uuid4()}\n"
        "  image-platform: ROV Genesis\n"
        "image-set-items:\n" + items + "\n"
    )
    image_set = new_set()
    batch = services.ingest(image_set, [tmp_path], actor=SYSTEM)
    assert batch.added == 2
    image = image_set.images.get(file_name=paths[1].name)
    assert (image.latitude, image.longitude, image.depth) == (55, 7.5, 101)
    image_set.refresh_from_db()
    assert image_set.title == "Test set"  # a stated field is kept
    assert image_set.platform == "ROV Genesis"  # an empty one is filled from the header


def test_exif_gps_gives_coverage(storage, tmp_path):
    when = datetime(2021, 9, 1, 8, 0, 0)
    jpeg_with_exif(real_jpegs(1)[0], tmp_path / "a.jpg", lat=-33.9, lon=18.4, depth=8, when=when)
    image_set = new_set()
    services.ingest(image_set, [tmp_path / "a.jpg"], actor=SYSTEM)
    image_set.refresh_from_db()
    assert (image_set.south, image_set.west) == pytest.approx((-33.9, 18.4), abs=1e-6)
    assert image_set.time_start == when.replace(tzinfo=UTC)


def test_symlink_in_folder_is_refused(storage, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(real_jpegs(1)[0], folder / "ok.jpg")
    (folder / "secret.jpg").symlink_to("/etc/hostname")
    image_set = new_set()
    batch = services.ingest(image_set, [folder], actor=SYSTEM)
    assert batch.added == 1
    assert batch.rejected == [{"name": "secret.jpg", "reason": "symbolic link"}]


def test_batch_records_progress_and_report(tmp_path, storage):
    image_set = new_set()
    seen = []
    batch = services.ingest(image_set, [real_jpegs(3)[0]], on_progress=seen.append, actor=SYSTEM)
    # Each file is reported once, when seen: a stored image's row waits for the sidecars.
    assert [o.status for o in seen] == ["stored"]
    stored = IngestBatch.objects.get(pk=batch.pk)
    assert (stored.status, stored.total, stored.added) == ("done", 1, 1)
    assert stored.finished is not None


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_give_the_same_result(storage, tmp_path):
    paths = real_jpegs(20)
    copies = [tmp_path / "dup.jpg"]
    shutil.copy(paths[0], copies[0])
    image_set = new_set()
    batch = services.ingest(image_set, [*paths, *copies], workers=2, actor=SYSTEM)
    assert batch.added == 20
    assert len(batch.duplicates) == 1
    assert batch.duplicates[0]["name"] in {"dup.jpg", paths[0].name}
    assert Image.objects.filter(image_set=image_set).count() == 20
    assert_stored_under_set(image_set)


def test_hostile_batch_leaves_nothing_half_made(storage, tmp_path, settings):
    """Bombs, truncated files and name collisions are named; the good files still go in."""

    good = real_jpegs(3)
    PILImage.new("1", (20_000, 20_000)).save(tmp_path / "bomb.png")
    truncated = good[0].read_bytes()[:600]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in good:
            archive.write(path, path.name)
        archive.writestr("caf\u00e9.jpg", good[1].read_bytes())
        archive.writestr("cafe\u0301.jpg", good[2].read_bytes())
        archive.writestr("cut.jpg", truncated)
        archive.write(tmp_path / "bomb.png", "bomb.png")
    settings.INGEST_MAX_PIXELS = 50_000_000
    image_set = new_set()
    upload = SimpleUploadedFile("hostile.zip", buffer.getvalue())
    batch = services.ingest(image_set, [[upload]], actor=SYSTEM)
    reasons = {r["name"]: r["reason"] for r in batch.rejected}
    assert batch.added == 3, reasons
    collisions = [n for n, r in reasons.items() if "after Unicode NFC normalisation" in r]
    assert [unicodedata.normalize("NFC", n) for n in collisions] == ["hostile.zip/caf\u00e9.jpg"]
    assert "corrupt or truncated image" in reasons["cut.jpg"]
    assert "decompression bomb: over the limit of 50,000,000 pixels" in reasons["bomb.png"]
    assert [d["name"] for d in batch.duplicates] == ["caf\u00e9.jpg"]
    assert image_set.images.count() == 3
    assert_stored_under_set(image_set)


def test_zip_bomb_is_refused_and_the_rest_goes_in(storage, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.jpg", b"\0" * 60_000_000)  # deflates about 1000:1
    settings.INGEST_ARCHIVE_MAX_RATIO = 100
    image_set = new_set()
    bomb = SimpleUploadedFile("bomb.zip", buffer.getvalue())
    batch = services.ingest(image_set, [[bomb], real_jpegs(1)[0]], actor=SYSTEM)
    assert batch.added == 1
    assert len(batch.rejected) == 1
    assert batch.rejected[0]["name"] == "bomb.zip"
    assert "zip bomb" in batch.rejected[0]["reason"]
    assert_stored_under_set(image_set)
