"""Fixtures for catalogue tests: real images, and storage on a local folder or S3."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.test import override_settings
from PIL import Image

from tests.conftest import ROOT

DEMO_IMAGES = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam" / "images"


def real_jpegs(count: int | None = None, klass: str | None = None) -> list[Path]:
    """Real FlowCam JPEGs, in a stable order."""
    paths = sorted(DEMO_IMAGES.glob(f"{klass or '*'}/*.jpg"))
    return paths[:count] if count else paths


def ecotaxa_demo_folder(folder: Path) -> list[Path]:
    """Three labelled demo images in class folders, the demo EcoTaxa TSV that labels
    them, and one unlabelled image; returns the labelled images' sources."""
    paths = real_jpegs(2, "Tripos") + real_jpegs(1, "Ciliophora")
    for path in paths:
        (folder / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.parent.name / path.name)
    shutil.copy(DEMO_IMAGES / "ecotaxa_demo.tsv", folder / "ecotaxa_demo.tsv")
    shutil.copy(real_jpegs(1, "Noctilucales")[0], folder / "unlabelled.jpg")
    return paths


def jpeg_with_exif(
    source: Path,
    target: Path,
    *,
    lat: float,
    lon: float,
    depth: float | None = None,
    when: datetime | None = None,
    size: tuple[int, int] | None = None,
) -> Path:
    """A copy of a real image carrying EXIF GPS (and depth as altitude below sea level)."""

    def dms(value: float) -> tuple[Fraction, ...]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = round(((value - degrees) * 60 - minutes) * 60 * 10000)
        return (Fraction(degrees), Fraction(minutes), Fraction(seconds, 10000))

    with Image.open(source) as image:
        image = image.convert("RGB")
        if size:
            image = image.resize(size)
        exif = Image.Exif()
        gps = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
        if depth is not None:
            gps[5] = 1
            gps[6] = Fraction(round(depth * 100), 100)
        exif[0x8825] = gps
        if when:
            exif[0x8769] = {36867: when.strftime("%Y:%m:%d %H:%M:%S")}
        image.save(target, "JPEG", quality=90, exif=exif)
    return target


def local_storages(location: Path) -> dict:
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }


def s3_storages(prefix: str) -> dict:
    return {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": settings.S3_BUCKET,
                "endpoint_url": settings.S3_ENDPOINT_URL,
                "access_key": settings.S3_ACCESS_KEY_ID,
                "secret_key": settings.S3_SECRET_ACCESS_KEY,
                "region_name": settings.S3_REGION,
                "location": prefix,
                "file_overwrite": False,
                "addressing_style": "path",
            },
        },
    }


def stored_keys() -> set[str]:
    """Every key in the current default storage (relative to its root or prefix)."""
    storage = storages["default"]
    if hasattr(storage, "bucket"):
        location = storage.location.rstrip("/") + "/"
        return {obj.key[len(location) :] for obj in storage.bucket.objects.filter(Prefix=location)}
    root = Path(storage.location)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(
    params=[
        pytest.param("local", id="local"),
        pytest.param("s3", id="s3", marks=pytest.mark.services("s3")),
    ]
)
def storage(request, tmp_path):
    """Run the test once on a local folder and once on the S3 server."""
    if request.param == "local":
        configured = local_storages(tmp_path / "media")
    else:
        configured = s3_storages(f"tests/{uuid.uuid4().hex}")
    with override_settings(STORAGES=configured):
        yield request.param
