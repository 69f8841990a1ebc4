"""Copies of an external set's files through the API (catalogue/services/external_copies.py):

- POST /image-sets/{id}/copies/ {"images": [ids]} (optional: all of the set's):
  202, the copy's report with its `url` (Location) to follow;
- GET /image-sets/{id}/copies/{batch}/: its progress, then its report.

Staff and the set's curators only (catalogue/access.py); anyone else is refused."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import access
from catalogue.api.problems import READ_ERRORS, WRITE_ERRORS, problems
from catalogue.api.strict import StrictInput
from catalogue.models import ImageSet, IngestBatch
from catalogue.services import external_copies


class CopyRequestSerializer(StrictInput, serializers.Serializer):
    images = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=100_000,
        help_text="ids of the set's images to copy; leave it out for all of them",
    )


class CopiedSerializer(serializers.Serializer):
    name = serializers.CharField()
    image_id = serializers.IntegerField()
    reason = serializers.CharField(required=False)


class CopyReportSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    url = serializers.URLField()
    status = serializers.ChoiceField(choices=IngestBatch.Status.values)
    total = serializers.IntegerField(help_text="images asked for")
    copied = serializers.IntegerField()
    copied_images = CopiedSerializer(many=True)
    failed = CopiedSerializer(many=True, help_text="each with its reason")
    already_copied = CopiedSerializer(many=True)
    started = serializers.DateTimeField()
    finished = serializers.DateTimeField(allow_null=True)


def report(request, batch: IngestBatch) -> dict:
    path = reverse("api:image-set-copy", args=[batch.image_set_id, batch.pk])
    return {
        "batch": batch.pk,
        "url": request.build_absolute_uri(path),
        "status": batch.status,
        "total": batch.total,
        "copied": batch.added,
        "copied_images": batch.updated,
        "failed": batch.rejected,
        "already_copied": batch.warnings,
        "started": batch.started.isoformat(),
        "finished": batch.finished.isoformat() if batch.finished else None,
    }


def image_set_for_copy(request, pk: int) -> ImageSet:
    image_set = get_object_or_404(ImageSet, pk=pk)
    access.require_copy_external_files(request.user, image_set)
    return image_set


@extend_schema(tags=["harvest"])
class CopiesView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        request=CopyRequestSerializer,
        responses={202: CopyReportSerializer, **problems(*WRITE_ERRORS)},
        description="Copy an external set's files (all, or `images`) into this catalogue.",
    )
    def post(self, request, pk: int):
        serializer = CopyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = external_copies.request_copy(
            image_set_for_copy(request, pk),
            actor=request.user,
            image_ids=serializer.validated_data.get("images"),
        )
        data = report(request, batch)
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


@extend_schema(tags=["harvest"])
class CopyView(APIView):
    @extend_schema(responses={200: CopyReportSerializer, **problems(*READ_ERRORS, 403, 409)})
    def get(self, request, pk: int, batch: int):
        image_set = image_set_for_copy(request, pk)
        found = get_object_or_404(external_copies.copies_of(image_set), pk=batch)
        return Response(report(request, found), headers={"Cache-Control": "no-store"})
