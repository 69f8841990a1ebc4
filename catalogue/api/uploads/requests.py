"""How the upload endpoints read a request and turn a refusal into its HTTP answer:
the caller's upload, tus headers, chunk refusals."""

from __future__ import annotations

import base64
import binascii

from rest_framework import exceptions, status

from catalogue.api.problems import BadQuery, Unready
from catalogue.errors import FieldError
from catalogue.uploads import selectors, services, storage
from catalogue.uploads.models import Upload

CHUNK_MEDIA_TYPE = "application/offset+octet-stream"


class ChunkProblem(exceptions.APIException):
    def __init__(self, refusal: storage.ChunkRefused):
        self.status_code = refusal.status
        super().__init__(refusal.reason)


class ChunkFieldProblem(BadQuery):
    """A refusal that names its header (the problem's `errors` say which); BadQuery's
    400 is only its default."""

    def __init__(self, refusal: storage.ChunkRefused):
        self.status_code = refusal.status  # type: ignore[assignment]
        super().__init__(FieldError(refusal.field, refusal.reason))


class TooMany(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_uploads"


def find(request, upload_id) -> Upload:
    """The caller's upload; one cancelled (DELETE) is gone, as tus's termination says."""
    try:
        upload = selectors.own_upload(request.user, upload_id)
    except Upload.DoesNotExist:
        raise exceptions.NotFound("No upload with this id (or none of yours).") from None
    if upload.state == Upload.State.CANCELLED:
        raise exceptions.NotFound("This upload was cancelled.")
    return upload


def refuse_unmatched_sha256(upload: Upload, sha256: str) -> None:
    """The whole file's sha256 against the upload's (its state, hence 409)."""
    if sha256 and upload.sha256 and upload.sha256 != sha256.lower():
        reason = f"{sha256} differs from {upload.sha256}, given at the start"
        raise Unready({"sha256": [reason]})
    if not sha256 and not upload.sha256:
        raise Unready({"sha256": ["give the whole file's SHA-256 (here or at the start)"]})


def refuse_unmatched_frames(upload: Upload, frames: dict | None) -> None:
    """The frame sampling against the one chosen at the start (its state, hence 409)."""
    if conflict := services.frames_conflict(upload, frames):
        field, reason = conflict
        raise Unready({field: [reason]})


def refusals(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except storage.ChunkRefused as refusal:
        if refusal.field:
            raise ChunkFieldProblem(refusal) from refusal
        raise ChunkProblem(refusal) from refusal
    except services.TooManyUploads as error:
        raise TooMany(str(error)) from error


def chunk_checksum(header: str) -> str | None:
    """`sha256 <base64 digest>` (tus's checksum extension) as hex; None when absent."""
    if not header:
        return None
    algorithm, _, value = header.strip().partition(" ")
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if algorithm.lower() != "sha256" or len(digest) != 32:
        raise exceptions.ValidationError(
            {"Upload-Checksum": ["write it `sha256 <base64 of the chunk's digest>`"]}
        )
    return digest.hex()


def header_int(request, name: str) -> int:
    try:
        value = int(request.headers.get(name, ""))
    except ValueError:
        raise exceptions.ValidationError({name: ["a whole number of bytes"]}) from None
    if value < 0:
        raise exceptions.ValidationError({name: ["a whole number of bytes"]})
    return value
