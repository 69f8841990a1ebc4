"""Where files come from: uploads, a server-side folder, an S3 prefix, a local file.

Every source yields `SourceFile`s (a name and a way to read the bytes) or an
`IngestError` for a file it refuses on the spot; the pipeline treats them all
alike, so archives, sidecars and images follow one code path whatever the
source.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from django.conf import settings

from catalogue.ingest.errors import IngestError

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class SourceFile:
    name: str  # relative name within the source, NFC, '/'-separated
    open: Callable[[], BinaryIO]
    path: Path | None = None  # set when the bytes already sit in a local file


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def folder_files(root: str | Path) -> Iterator[SourceFile | IngestError]:
    """Regular files under `root`, sorted; symbolic links are refused, never followed."""
    root = Path(root).resolve()
    allowed = [Path(p).resolve() for p in settings.INGEST_ALLOWED_ROOTS]
    if allowed and not any(root == a or a in root.parents for a in allowed):
        raise IngestError(str(root), "folder is outside INGEST_ALLOWED_ROOTS")
    if not root.is_dir():
        raise IngestError(str(root), "not a folder")
    for directory, subdirs, files in os.walk(root, followlinks=False):
        subdirs.sort()
        here = Path(directory)
        for link in [d for d in subdirs if (here / d).is_symlink()]:
            subdirs.remove(link)
            yield IngestError(nfc((here / link).relative_to(root).as_posix()), "symbolic link")
        for file_name in sorted(files):
            path = here / file_name
            name = nfc(path.relative_to(root).as_posix())
            if file_name in IGNORED_NAMES or file_name.startswith("._"):
                continue
            if path.is_symlink():
                yield IngestError(name, "symbolic link")
            elif path.is_file():
                yield SourceFile(name=name, open=_opener(path), path=path)
            else:
                yield IngestError(name, "not a regular file")


def _opener(path: Path) -> Callable[[], BinaryIO]:
    """SourceFile.open for a local file; binds `path` now, not when the loop ends."""
    return lambda: path.open("rb")


def local_file(path: str | Path) -> Iterator[SourceFile | IngestError]:
    path = Path(path)
    if path.is_symlink():
        yield IngestError(path.name, "symbolic link")
    elif not path.is_file():
        yield IngestError(str(path), "no such file")
    else:
        yield SourceFile(name=nfc(path.name), open=lambda: path.open("rb"), path=path)


def upload_files(uploads) -> Iterator[SourceFile]:
    """Django `UploadedFile`s; large ones already sit in a temporary file on disk."""
    for upload in uploads:
        name = nfc(Path(upload.name or "upload").name)
        temporary = getattr(upload, "temporary_file_path", None)
        path = Path(temporary()) if temporary else None

        def opener(upload=upload):
            upload.seek(0)
            return upload

        yield SourceFile(name=name, open=opener, path=path)


def s3_client():
    """An S3 client for the configured endpoint, with short timeouts and few retries."""
    return boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL or None,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY or None,
        region_name=settings.S3_REGION,
        config=Config(connect_timeout=5, retries={"max_attempts": 3, "mode": "standard"}),
    )


def s3_files(url: str) -> Iterator[SourceFile | IngestError]:
    """Objects under `s3://bucket/prefix`, streamed from the configured S3 endpoint."""
    parsed = urlparse(url)
    bucket, prefix = parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme != "s3" or not bucket:
        raise IngestError(url, "an S3 source is written s3://bucket/prefix")
    client = s3_client()
    paginator = client.get_paginator("list_objects_v2")
    try:
        pages = list(paginator.paginate(Bucket=bucket, Prefix=prefix))
    except Exception as error:  # botocore raises many types; all mean "cannot list"
        raise IngestError(url, f"cannot list the S3 prefix: {error}") from error
    for page in pages:
        for item in page.get("Contents", []):
            key = item["Key"]
            if key.endswith("/"):
                continue
            name = nfc(key[len(prefix) :].lstrip("/") if prefix else key)
            if Path(name).name in IGNORED_NAMES:
                continue

            def opener(key=key):
                return client.get_object(Bucket=bucket, Key=key)["Body"]

            yield SourceFile(name=name, open=opener)


def resolve(source) -> Iterator[SourceFile | IngestError]:
    """The files of one source given as an s3:// URL, a folder, a file or uploads."""
    if isinstance(source, str) and source.startswith("s3://"):
        return s3_files(source)
    if isinstance(source, str | Path):
        path = Path(source)
        return folder_files(path) if path.is_dir() else local_file(path)
    return upload_files(source if isinstance(source, list | tuple) else [source])


def source_label(source) -> str:
    if isinstance(source, str | Path):
        return str(source)
    uploads = source if isinstance(source, list | tuple) else [source]
    return f"upload of {len(uploads)} file(s)"
