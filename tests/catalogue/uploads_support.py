"""Helpers of the upload tests (API, browser, bench): real images zipped, chunks sent,
an upload followed until its worker is done."""

from __future__ import annotations

import base64
import hashlib
import time
import zipfile
from pathlib import Path

import requests

CHUNK_TYPE = "application/offset+octet-stream"


def zip_of(paths: list[Path], target: Path, *, padding: int = 0) -> Path:
    """A zip of real images (stored, as instruments write them), padded to size with a
    stored member of random-looking bytes (not an image: the ingest rejects it)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for path in paths:
            archive.write(path, f"{path.parent.name}/{path.name}")
        if padding:
            block = hashlib.sha256(b"padding").digest() * (1024 * 1024 // 32)
            with archive.open("padding.bin", "w", force_zip64=True) as member:
                left = padding
                while left > 0:
                    member.write(block[: min(left, len(block))])
                    left -= len(block)
    return target


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def checksum_header(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def send_chunks(
    session: requests.Session, url: str, path: Path, offset: int, chunk: int
) -> requests.Response:
    """PATCH the file from `offset` to its end, one checked chunk at a time."""
    size = path.stat().st_size
    answer = None
    with path.open("rb") as stream:
        stream.seek(offset)
        while offset < size:
            data = stream.read(chunk)
            answer = session.patch(
                url,
                data=data,
                headers={
                    "Content-Type": CHUNK_TYPE,
                    "Upload-Offset": str(offset),
                    "Upload-Checksum": checksum_header(data),
                },
            )
            assert answer.status_code == 204, answer.text
            offset = int(answer.headers["Upload-Offset"])
    assert answer is not None
    return answer


def wait_finished(session: requests.Session, url: str, timeout: float = 300) -> dict:
    """Poll the upload until its worker is done with it (or it failed)."""
    deadline = time.monotonic() + timeout
    while True:
        data = session.get(url).json()
        if data["state"] in ("done", "failed"):
            return data
        if time.monotonic() > deadline:
            raise AssertionError(f"upload still {data['state']}: {data}")
        time.sleep(0.2)
