"""Where the bytes of an upload wait: a staging file on the server (chunks written at
their offset, as tus does) or an S3 multipart upload the client fills through
presigned part URLs. Each strategy begins, reports what it holds, and removes."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import storages

from catalogue.uploads.models import Upload

READ_BYTES = 1024 * 1024
MIN_S3_PART = 5 * 1024**2  # S3's smallest part but the last
MAX_S3_PARTS = 10_000
PRESIGNED_SECONDS = 3600


class ChunkRefused(Exception):
    """A chunk that cannot be written; `status` is the HTTP status the API answers."""

    def __init__(self, status: int, reason: str, field: str = ""):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


def staging_folder(upload: Upload) -> Path:
    return Path(settings.UPLOAD_STAGING_DIR) / str(upload.uuid)


def hex_to_base64(digest: str) -> str:
    return base64.b64encode(bytes.fromhex(digest)).decode()


def base64_to_hex(digest: str) -> str:
    return base64.b64decode(digest).hex()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


# --- local: chunks at offsets -----------------------------------------------------------


def local_begin(upload: Upload) -> None:
    folder = staging_folder(upload)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / upload.file_name
    path.touch()
    upload.staging = str(path)


def local_held(upload: Upload) -> int:
    """Bytes the staging file holds: the truth the row's `received` follows."""
    try:
        return Path(upload.staging).stat().st_size
    except OSError:
        return 0


def local_write(
    upload: Upload, offset: int, stream: BinaryIO, length: int, sha256: str | None
) -> int:
    """Write one chunk at `offset` (which must be what the file holds); returns the new
    offset. A chunk with a checksum is kept whole or not at all; one without may end
    short (a dropped connection) and its bytes are kept, so the client resumes from
    the offset the server reports. The file is locked while it is written, not the
    row: a slow client holds no database lock (SQLite would wait for it)."""
    if offset + length > upload.size:
        raise ChunkRefused(
            413, f"the chunk ends at byte {offset + length}; the file has {upload.size}"
        )
    digest = hashlib.sha256()
    written = 0
    with Path(upload.staging).open("r+b") as target:
        try:
            fcntl.flock(target, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ChunkRefused(409, "another request is writing this upload") from None
        held = os.fstat(target.fileno()).st_size
        if offset != held:
            raise ChunkRefused(409, f"the server holds {held} bytes, not {offset}")
        target.seek(offset)
        try:
            while written < length:
                block = stream.read(min(READ_BYTES, length - written))
                if not block:
                    break
                target.write(block)
                digest.update(block)
                written += len(block)
        except OSError:
            pass  # the client went away mid-chunk: keep what arrived (unless checked below)
        whole = written == length
        if sha256 and (not whole or digest.hexdigest() != sha256.lower()):
            target.truncate(offset)
            if whole:
                raise ChunkRefused(422, "the chunk's sha256 does not match", "Upload-Checksum")
            raise ChunkRefused(400, f"the chunk ended after {written} of {length} bytes")
        target.truncate(offset + written)
    return offset + written


def stage_whole(upload: Upload, received: BinaryIO) -> str:
    """Stage a file received whole (a form post); returns its sha256."""
    digest = hashlib.sha256()
    folder = staging_folder(upload)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / upload.file_name
    received.seek(0)
    with path.open("wb") as target:
        while block := received.read(READ_BYTES):
            digest.update(block)
            target.write(block)
    upload.staging = str(path)
    if upload.backend == Upload.Backend.S3:
        client, bucket, prefix = s3_client_and_bucket()
        key = "/".join(p for p in (prefix, "uploads", str(upload.uuid), upload.file_name) if p)
        client.upload_file(str(path), bucket, key)
        upload.s3_bucket, upload.staging = bucket, key
        local_remove(upload)
    return digest.hexdigest()


def local_remove(upload: Upload) -> None:
    shutil.rmtree(staging_folder(upload), ignore_errors=True)


# --- S3: presigned multipart --------------------------------------------------------------


def s3_client_and_bucket():
    """The client and bucket of the default storage (django-storages' S3Storage)."""
    storage = storages["default"]
    return storage.connection.meta.client, storage.bucket_name, storage.location.strip("/")


def uses_s3() -> bool:
    return hasattr(storages["default"], "bucket_name")


def s3_part_size(size: int) -> int:
    wanted = max(settings.UPLOAD_PART_BYTES, MIN_S3_PART)
    return max(wanted, -(-size // MAX_S3_PARTS))


def s3_begin(upload: Upload) -> None:
    client, bucket, prefix = s3_client_and_bucket()
    key = "/".join(p for p in (prefix, "uploads", str(upload.uuid), upload.file_name) if p)
    answer = client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256")
    upload.s3_bucket, upload.staging, upload.s3_upload_id = bucket, key, answer["UploadId"]
    upload.part_size = s3_part_size(upload.size)


def s3_part_count(upload: Upload) -> int:
    return max(1, -(-upload.size // upload.part_size))


def s3_sign(upload: Upload, parts: list[dict]) -> list[dict]:
    """A presigned PUT per part; S3 checks each part's sha256 (a signed header)."""
    client, _bucket, _prefix = s3_client_and_bucket()
    signed = []
    for part in parts:
        checksum = hex_to_base64(part["sha256"])
        url = client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": upload.s3_bucket,
                "Key": upload.staging,
                "UploadId": upload.s3_upload_id,
                "PartNumber": part["number"],
                "ChecksumSHA256": checksum,
            },
            ExpiresIn=PRESIGNED_SECONDS,
        )
        signed.append(
            {
                "number": part["number"],
                "url": url,
                "headers": {"x-amz-checksum-sha256": checksum},
            }
        )
    return signed


def s3_parts(upload: Upload) -> list[dict]:
    """The parts S3 holds: number, size, sha256 (hex)."""
    client, _bucket, _prefix = s3_client_and_bucket()
    parts: list[dict] = []
    marker = 0
    while True:
        answer = client.list_parts(
            Bucket=upload.s3_bucket,
            Key=upload.staging,
            UploadId=upload.s3_upload_id,
            PartNumberMarker=marker,
        )
        for part in answer.get("Parts", []):
            parts.append(
                {
                    "number": part["PartNumber"],
                    "size": part["Size"],
                    "sha256": base64_to_hex(part["ChecksumSHA256"])
                    if part.get("ChecksumSHA256")
                    else "",
                    "etag": part["ETag"],
                }
            )
        if not answer.get("IsTruncated"):
            return parts
        marker = answer["NextPartNumberMarker"]


def s3_missing(upload: Upload, parts: list[dict]) -> list[int]:
    """Part numbers not yet held whole (a part of the wrong size counts as missing)."""
    count = s3_part_count(upload)
    held = {p["number"]: p["size"] for p in parts}
    last = upload.size - upload.part_size * (count - 1)
    missing = []
    for number in range(1, count + 1):
        if held.get(number) != (upload.part_size if number < count else last):
            missing.append(number)
    return missing


def s3_complete(upload: Upload, parts: list[dict]) -> None:
    client, _bucket, _prefix = s3_client_and_bucket()
    client.complete_multipart_upload(
        Bucket=upload.s3_bucket,
        Key=upload.staging,
        UploadId=upload.s3_upload_id,
        MultipartUpload={
            "Parts": [
                {
                    "PartNumber": p["number"],
                    "ETag": p["etag"],
                    "ChecksumSHA256": hex_to_base64(p["sha256"]),
                }
                for p in sorted(parts, key=lambda p: p["number"])
                if p["number"] <= s3_part_count(upload)
            ]
        },
    )


def s3_fetch(upload: Upload, target: Path) -> None:
    """The assembled object, into a local file the archive reader can seek in."""
    client, _bucket, _prefix = s3_client_and_bucket()
    target.parent.mkdir(parents=True, exist_ok=True)
    client.download_file(upload.s3_bucket, upload.staging, str(target))


def s3_remove(upload: Upload) -> None:
    """Abort the multipart upload (its parts go with it) and delete the object."""
    client, _bucket, _prefix = s3_client_and_bucket()
    if upload.s3_upload_id:
        with contextlib.suppress(ClientError):  # already completed or aborted
            client.abort_multipart_upload(
                Bucket=upload.s3_bucket, Key=upload.staging, UploadId=upload.s3_upload_id
            )
    client.delete_object(Bucket=upload.s3_bucket, Key=upload.staging)
    local_remove(upload)  # the copy a worker fetched, if any


def remove(upload: Upload) -> None:
    if upload.backend == Upload.Backend.S3:
        s3_remove(upload)
    else:
        local_remove(upload)
