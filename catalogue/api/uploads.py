"""Resumable uploads over the API (catalogue/uploads/): start one, send it, ask what the
server holds, complete it (202: the worker ingests it), follow it, cancel it.

Local storage takes chunks the way tus does (PATCH with `Upload-Offset`, HEAD answers
the offset, a 409 names the right one, `Upload-Checksum: sha256 <base64>` per chunk,
422 when it does not match, where tus says 460, which is no HTTP status); S3 takes
parts through presigned URLs, each signed with the part's sha256, so S3 itself
refuses a part that does not match.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors as catalogue_selectors
from catalogue.api import serializers as s
from catalogue.api.problems import (
    MEDIA_TYPE,
    READ_ERRORS,
    WRITE_ERRORS,
    BadQuery,
    ProblemSerializer,
    Unready,
    problems,
)
from catalogue.api.strict import StrictInput
from catalogue.errors import FieldError
from catalogue.models import ImageSet
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


class StartSerializer(StrictInput, serializers.Serializer):
    file_name = serializers.CharField(max_length=1000)
    size = serializers.IntegerField(min_value=1, max_value=settings.UPLOAD_MAX_BYTES)
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        help_text="of the whole file; may come with the completion instead",
    )
    without_metadata = serializers.BooleanField(default=False)


class CompleteSerializer(StrictInput, serializers.Serializer):
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        help_text="of the whole file: required unless given at the start, and equal to it if so",
    )


class PartSerializer(StrictInput, serializers.Serializer):
    number = serializers.IntegerField(min_value=1)
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", help_text="of this part")


class PartsSerializer(StrictInput, serializers.Serializer):
    parts: serializers.ListSerializer = serializers.ListSerializer(
        child=PartSerializer(), min_length=1
    )


class UploadProgressSerializer(serializers.Serializer):
    bytes_received = serializers.IntegerField()
    bytes_total = serializers.IntegerField()
    files_done = serializers.IntegerField(help_text="files the worker has stored so far")
    files_total = serializers.IntegerField(allow_null=True, help_text="files in a zip; else null")
    added = serializers.IntegerField()
    updated = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()


class UploadSerializer(serializers.Serializer):
    """An upload as the API shows it (documentation of `upload_data`)."""

    id = serializers.UUIDField()
    url = serializers.URLField()
    progress_url = serializers.URLField()
    image_set = serializers.IntegerField()
    file_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    backend = serializers.ChoiceField(choices=Upload.Backend.choices)
    state = serializers.ChoiceField(choices=Upload.State.choices)
    error = serializers.CharField(allow_blank=True)
    expires = serializers.DateTimeField()
    chunk_max_bytes = serializers.IntegerField()
    part_size = serializers.IntegerField()
    part_count = serializers.IntegerField(required=False, help_text="S3 only")
    parts = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="S3 only: the parts S3 holds"
    )
    progress = UploadProgressSerializer()
    batch = s.IngestReportSerializer(allow_null=True, help_text="the ingest report, once it runs")


MISMATCH = {
    (422, MEDIA_TYPE): OpenApiResponse(
        ProblemSerializer, description="the chunk's sha256 (Upload-Checksum) does not match"
    )
}
READS = {200: UploadSerializer, **problems(*READ_ERRORS)}


def upload_data(request, upload: Upload) -> dict:
    counts, batch = selectors.progress(upload)
    url = request.build_absolute_uri(reverse("api:upload", args=[upload.uuid]))
    data = {
        "id": str(upload.uuid),
        "url": url,
        "progress_url": url,
        "image_set": upload.image_set_id,
        "file_name": upload.file_name,
        "size": upload.size,
        "sha256": upload.sha256,
        "backend": upload.backend,
        "state": upload.state,
        "error": upload.error,
        "expires": upload.expires,
        "chunk_max_bytes": settings.UPLOAD_CHUNK_MAX_BYTES,
        "part_size": upload.part_size or settings.UPLOAD_PART_BYTES,
        "progress": counts,
        "batch": None,
    }
    if upload.backend == Upload.Backend.S3:
        data["part_count"] = storage.s3_part_count(upload)
        data["parts"] = [
            {"number": p["number"], "size": p["size"], "sha256": p["sha256"]}
            for p in services.held_parts(upload)
        ]
        data["progress"]["bytes_received"] = upload.received
    if batch is not None:
        report = s.ingest_report(batch, s.Links(request))
        report.setdefault("updated", batch.updated)
        data["batch"] = report
    return data


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


@extend_schema(tags=["uploads"])
class StartUploadView(APIView):
    """POST /image-sets/{id}/uploads/: open a resumable upload of one (large) file."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=StartSerializer, responses={201: UploadSerializer, **problems(*WRITE_ERRORS)}
    )
    def post(self, request, pk):
        image_set = catalogue_selectors.visible_image_sets(request.user).filter(pk=pk).first()
        if image_set is None:
            raise exceptions.NotFound("No image set with this id (or none you may see).")
        serializer = StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = refusals(
            services.start_upload,
            ImageSet.objects.get(pk=image_set.pk),
            actor=request.user,
            **serializer.validated_data,
        )
        return Response(upload_data(request, upload), status=status.HTTP_201_CREATED)


@extend_schema(tags=["uploads"])
class UploadView(APIView):
    """One upload: GET its state and progress (HEAD: the offset), PATCH a chunk, DELETE it."""

    parser_classes = [JSONParser]

    def offset_headers(self, upload: Upload) -> dict:
        return {
            "Upload-Offset": str(upload.received),
            "Upload-Length": str(upload.size),
            "Cache-Control": "no-store",
        }

    @extend_schema(responses=READS)
    def get(self, request, upload_id):
        upload = find(request, upload_id)
        services.held_bytes(upload)
        data = upload_data(request, upload)
        return Response(data, headers=self.offset_headers(upload))

    @extend_schema(
        responses={204: OpenApiResponse(description="Upload-Offset: the bytes held")},
    )
    def head(self, request, upload_id):
        upload = find(request, upload_id)
        services.held_bytes(upload)
        return Response(status=status.HTTP_204_NO_CONTENT, headers=self.offset_headers(upload))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Upload-Offset",
                {"type": "integer", "format": "int64", "minimum": 0},
                OpenApiParameter.HEADER,
                required=True,
                description="where this chunk starts: the bytes the server holds (409 "
                "naming the right offset otherwise)",
            )
        ],
        request={CHUNK_MEDIA_TYPE: bytes},
        responses={
            204: OpenApiResponse(description="written; Upload-Offset is the new offset"),
            **problems(*WRITE_ERRORS),
            **MISMATCH,
        },
    )
    def patch(self, request, upload_id):
        upload = find(request, upload_id)
        if request.content_type != CHUNK_MEDIA_TYPE:
            raise exceptions.UnsupportedMediaType(request.content_type)
        offset = header_int(request, "Upload-Offset")
        length = header_int(request, "Content-Length")
        checksum = chunk_checksum(request.headers.get("Upload-Checksum", ""))
        upload = refusals(
            services.write_chunk,
            upload,
            actor=request.user,
            offset=offset,
            stream=request._request,  # the raw body, read as it arrives
            length=length,
            sha256=checksum,
        )
        return Response(status=status.HTTP_204_NO_CONTENT, headers=self.offset_headers(upload))

    @extend_schema(
        responses={204: OpenApiResponse(description="cancelled"), **problems(*WRITE_ERRORS)}
    )
    def delete(self, request, upload_id):
        refusals(services.cancel_upload, find(request, upload_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["uploads"])
class PartsView(APIView):
    """POST /uploads/{id}/parts/: presigned PUT URLs for S3 parts (number and sha256 each)."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=PartsSerializer,
        responses={
            200: OpenApiResponse(description="`parts`: number, url, headers to send"),
            **problems(*WRITE_ERRORS),
        },
    )
    def post(self, request, upload_id):
        upload = find(request, upload_id)
        serializer = PartsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        parts = serializer.validated_data["parts"]
        signed = refusals(services.sign_parts, upload, actor=request.user, parts=parts)
        return Response({"parts": signed})


@extend_schema(tags=["uploads"])
class CompleteView(APIView):
    """POST /uploads/{id}/complete/: every byte sent; 202 while the worker ingests it."""

    # A body is optional (the sha256 when it was not given at the start), so clients
    # that post an empty form are not refused for their content type.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=CompleteSerializer,
        responses={202: UploadSerializer, **problems(*WRITE_ERRORS)},
        description="409 naming `sha256` when it differs from the one given at the start, "
        "or when neither the start nor this request gave it.",
    )
    def post(self, request, upload_id):
        upload = find(request, upload_id)
        serializer = CompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refuse_unmatched_sha256(upload, serializer.validated_data.get("sha256", ""))
        upload = refusals(
            services.complete_upload, upload, actor=request.user, **serializer.validated_data
        )
        return Response(upload_data(request, upload), status=status.HTTP_202_ACCEPTED)
