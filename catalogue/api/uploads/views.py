"""The upload endpoints: start, send (chunks or S3 parts), complete, follow, cancel."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors as catalogue_selectors
from catalogue.api.problems import WRITE_ERRORS, problems
from catalogue.api.uploads.requests import (
    CHUNK_MEDIA_TYPE,
    chunk_checksum,
    find,
    header_int,
    refusals,
    refuse_unmatched_frames,
    refuse_unmatched_sha256,
)
from catalogue.api.uploads.serializers import (
    MISMATCH,
    READS,
    CompleteSerializer,
    PartsSerializer,
    StartSerializer,
    UploadSerializer,
    upload_data,
)
from catalogue.models import ImageSet
from catalogue.uploads import services
from catalogue.uploads.models import Upload


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
        "or when neither the start nor this request gave it; 409 naming `frame_rate` or "
        "`scene_threshold` when the frame sampling differs from the one chosen at the start.",
    )
    def post(self, request, upload_id):
        upload = find(request, upload_id)
        serializer = CompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refuse_unmatched_sha256(upload, serializer.validated_data.get("sha256", ""))
        refuse_unmatched_frames(upload, serializer.validated_data.get("frames"))
        upload = refusals(
            services.complete_upload, upload, actor=request.user, **serializer.validated_data
        )
        return Response(upload_data(request, upload), status=status.HTTP_202_ACCEPTED)
