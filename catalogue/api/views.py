"""API views: parse input, ask a selector or call a service, render. Nothing else.

Who may see or change what is decided by catalogue/access.py and enforced by the
services; their refusals (not visible 404, not allowed 403, published and
immutable 409) become problems in catalogue/api/problems.py.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpResponseNotModified
from django.utils.http import parse_etags
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from catalogue import access, selectors, services
from catalogue.access import Action
from catalogue.api import serializers as s
from catalogue.api import set_input
from catalogue.api.filters import ImageFilter, ImageSetFilter
from catalogue.api.problems import (
    READ_ERRORS,
    WRITE_ERRORS,
    PayloadTooLarge,
    problem_response,
    problems,
)
from catalogue.api.renderers import dumps
from catalogue.api.uploads import upload_data
from catalogue.api.uploads.serializers import FrameSamplingInput
from catalogue.models import ImageSet
from catalogue.uploads.services import stage_received_file

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="an ETag from an earlier answer: 304 when unchanged",
)
NOT_MODIFIED = OpenApiResponse(description="unchanged since the ETag given in If-None-Match")


class ApiMixin:
    """Refuses oversized bodies and NUL characters in parameters before anything reads them."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # No database stores NUL in text: a parameter carrying one is a field error.
        for name, values in request.query_params.lists():
            if any("\x00" in value for value in values):
                raise exceptions.ValidationError({name: ["contains a NUL character"]})
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.content_type.startswith("multipart/"):
            limit = settings.API_MAX_UPLOAD_BYTES
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            raise PayloadTooLarge(f"the body has {length} bytes; at most {limit} are accepted")


def conditional(request, data) -> Response | HttpResponseNotModified:
    """A detail answer with a strong ETag over its bytes, or 304 when the client has it."""
    body = dumps(data)
    etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    wanted = request.META.get("HTTP_IF_NONE_MATCH")
    headers = {"ETag": etag, "Vary": "Accept, Cookie, Authorization"}
    if wanted and (wanted.strip() == "*" or etag in parse_etags(wanted)):
        response = HttpResponseNotModified()
        for name, value in headers.items():
            response[name] = value
        return response
    return Response(data, headers=headers)


def image_set_detail(request, pk) -> dict:
    """A set as its detail view shows it (`s.ImageSetDetailSerializer`), for a caller
    who may see it (404 otherwise); other endpoints that answer with a set use it too."""
    row = (
        selectors.visible_image_sets(request.user)
        .order_by()
        .filter(pk=pk)
        .values(*s.SET_DETAIL_FIELDS)
        .first()
    )
    if row is None:
        raise exceptions.NotFound("No image set with this id (or none you may see).")
    image_set = ImageSet(pk=row["id"], owner_id=row.pop("owner_id"), state=row["state"])
    people = ImageSet.objects.filter(pk=row["id"]).values_list(
        "owner__username", "curators__username"
    )
    owner = None
    curators = []
    for owner_name, curator_name in people:
        owner = owner_name
        if curator_name:
            curators.append(curator_name)
    row["owner"] = owner
    row["curators"] = sorted(curators)
    row["can_edit"] = selectors.can_edit_image_set(request.user, image_set)
    return s.set_row(row, s.Links(request))


@extend_schema(tags=["image sets"])
class ImageSetViewSet(ApiMixin, viewsets.GenericViewSet):
    """Image sets the caller may see; owners, curators and staff may change drafts."""

    filterset_class = ImageSetFilter
    serializer_class = s.ImageSetSerializer
    lookup_value_regex = "[0-9]+"
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.visible_image_sets(self.request.user).order_by()

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return set_input.ImageSetWriteSerializer
        if self.action == "upload":
            return set_input.UploadSerializer
        if self.action == "retrieve":
            return s.ImageSetDetailSerializer
        return s.ImageSetSerializer

    # --- reads ---------------------------------------------------------------------

    @extend_schema(responses={200: s.ImageSetSerializer(many=True), **problems(*READ_ERRORS)})
    def list(self, request):
        rows = self.filter_queryset(self.get_queryset()).values(*s.SET_FIELDS)
        page = self.paginate_queryset(rows)
        links = s.Links(request)
        return self.get_paginated_response([s.set_row(row, links) for row in page])

    def detail_data(self, pk) -> dict:
        return image_set_detail(self.request, pk)

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={
            200: s.ImageSetDetailSerializer,
            304: NOT_MODIFIED,
            **problems(*READ_ERRORS),
        },
    )
    def retrieve(self, request, pk=None):
        return conditional(request, self.detail_data(pk))

    # --- writes ------------------------------------------------------------------

    def image_set(self, pk, action: Action) -> ImageSet:
        """The set, for an action the service will check again; refusals are mapped by
        catalogue/api/problems.py."""
        return selectors.image_set_for(self.request.user, action, pk=pk)

    @extend_schema(
        request=set_input.ImageSetWriteSerializer,
        responses={201: s.ImageSetDetailSerializer, **problems(*WRITE_ERRORS)},
    )
    def create(self, request):
        serializer = set_input.ImageSetWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image_set = services.create_image_set(actor=request.user, **serializer.validated_data)
        data = self.detail_data(image_set.pk)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    @extend_schema(
        request=set_input.ImageSetWriteSerializer,
        responses={200: s.ImageSetDetailSerializer, **problems(*WRITE_ERRORS)},
    )
    def partial_update(self, request, pk=None):
        image_set = self.image_set(pk, Action.VIEW)
        changes = request.data if isinstance(request.data, dict) else {}
        # Refused (403, 409) before the body is validated; the service checks again.
        access.require(request.user, services.action_for_update(changes), image_set)
        serializer = set_input.ImageSetWriteSerializer(image_set, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_image_set(image_set, actor=request.user, **serializer.validated_data)
        return Response(self.detail_data(image_set.pk))

    @extend_schema(
        responses={204: OpenApiResponse(description="deleted"), **problems(*WRITE_ERRORS)}
    )
    def destroy(self, request, pk=None):
        services.delete_image_set(self.image_set(pk, Action.DELETE), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request={"multipart/form-data": set_input.UploadSerializer},
        responses={
            201: OpenApiResponse(s.IngestReportSerializer, description="every file was added"),
            207: OpenApiResponse(
                s.IngestReportSerializer,
                description="some files were duplicates or rejected; see the report",
            ),
            202: OpenApiResponse(
                description="more than UPLOAD_IN_REQUEST_MAX_BYTES: `uploads`, one per file, "
                "each ingested by a worker; GET its `progress_url` for progress and report"
            ),
            **problems(*WRITE_ERRORS),
        },
        description=(
            "Upload images (or archives and sidecars) into a draft set, several per request "
            "(multipart field `files`, repeated). Large files are streamed to temporary "
            "files, never held in memory. Large posts are ingested by a worker (202); "
            "files of gigabytes are better sent resumably (`/image-sets/{id}/uploads/`)."
        ),
    )
    @action(detail=True, methods=["post"], url_path="images", parser_classes=[MultiPartParser])
    def upload(self, request, pk=None):
        image_set = self.image_set(pk, Action.EDIT)
        files = request.FILES.getlist("files")
        if not files:
            raise exceptions.ValidationError({"files": ["Send one or more files as `files`."]})
        flag = set_input.UploadSerializer().fields["without_metadata"]
        try:
            without_metadata = flag.to_internal_value(request.data.get("without_metadata", False))
        except exceptions.ValidationError as error:
            raise exceptions.ValidationError({"without_metadata": error.detail}) from error
        sampling = FrameSamplingInput(
            data={k: v for k in ("frame_rate", "scene_threshold") if (v := request.data.get(k))}
        )
        sampling.is_valid(raise_exception=True)
        frames = sampling.validated_data["frames"]
        if sum(received.size for received in files) > settings.UPLOAD_IN_REQUEST_MAX_BYTES:
            # Too large to ingest in the request: each file goes to the worker (202),
            # and its upload (catalogue/api/uploads/) shows the progress and report.
            staged = [
                stage_received_file(
                    image_set,
                    actor=request.user,
                    received=f,
                    without_metadata=without_metadata,
                    frames=frames,
                )
                for f in files
            ]
            answer = {"uploads": [upload_data(request, upload) for upload in staged]}
            return Response(answer, status=status.HTTP_202_ACCEPTED)
        batch = services.ingest(
            image_set,
            [files],
            actor=request.user,
            without_metadata=without_metadata,
            frames=frames,
        )
        report = s.ingest_report(batch, s.Links(request))
        clean = not batch.rejected and not batch.duplicates
        return Response(report, status=status.HTTP_201_CREATED if clean else 207)


@extend_schema(tags=["images"])
class ImageViewSet(ApiMixin, viewsets.ReadOnlyModelViewSet):
    """Images of the sets the caller may see, with links to their files."""

    filterset_class = ImageFilter
    serializer_class = s.ImageSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.visible_images(self.request.user).order_by()

    def get_serializer_class(self):
        return s.ImageDetailSerializer if self.action == "retrieve" else s.ImageSerializer

    @extend_schema(responses={200: s.ImageSerializer(many=True), **problems(*READ_ERRORS)})
    def list(self, request):
        rows = self.filter_queryset(self.get_queryset()).values(*s.IMAGE_FIELDS)
        page = self.paginate_queryset(rows)
        links = s.Links(request)
        return self.get_paginated_response([s.image_row(row, links) for row in page])

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={200: s.ImageDetailSerializer, 304: NOT_MODIFIED, **problems(*READ_ERRORS)},
    )
    def retrieve(self, request, pk=None):
        row = self.get_queryset().filter(pk=pk).values(*s.IMAGE_DETAIL_FIELDS).first()
        if row is None:
            raise exceptions.NotFound("No image with this id (or none you may see).")
        return conditional(request, s.image_row(row, s.Links(request)))


@csrf_exempt  # an unknown path answers 404 whatever the method, never a CSRF page
def not_found(request, *args, **kwargs):
    """Anything else under /api/v1/: a problem, not Django's HTML page."""
    return problem_response(404, "There is no such API endpoint.", request=request)
