"""API of "more like this" for an uploaded image: POST the image (multipart field
`file`) to /api/v1/images/similar/; a worker computes its embedding while the
request waits (web processes run no model), then the visible images nearest to
it come back as for an image of the catalogue."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import selectors as catalogue_selectors
from catalogue.api import serializers as s
from catalogue.api.parameters import bounded_integer, read_integer
from catalogue.api.problems import READ_ERRORS, Conflict, problems
from catalogue.api.views import ApiMixin
from inference.ann.uploaded import (
    MAX_BYTES,
    EmbeddingUnavailable,
    NothingToCompare,
    UploadedImageError,
)
from inference.selectors import images_like_upload

MAX_SIMILAR = 100


class Unavailable(exceptions.APIException):
    status_code = 503
    default_detail = "The image could not be embedded now; try again shortly."


class UploadSimilarImageSerializer(s.ImageSerializer):
    similarity = serializers.FloatField(help_text="cosine similarity of the embeddings, -1..1")


class UploadSimilarImagesSerializer(serializers.Serializer):
    model_version = serializers.IntegerField(help_text="the embedder whose vectors were compared")
    model = serializers.CharField()
    version = serializers.CharField()
    results = UploadSimilarImageSerializer(many=True, help_text="nearest first")


@extend_schema(tags=["images"])
class SimilarToUploadView(ApiMixin, APIView):
    """More like this, for an image that is not in the catalogue."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="images_similar_to_upload",
        parameters=[bounded_integer("limit", 1, MAX_SIMILAR, default=12)],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={
            200: UploadSimilarImagesSerializer,
            **problems(*READ_ERRORS, 409, 413, 415),
            503: OpenApiResponse(description="no worker embedded the image in time"),
        },
        description=f"The visible images nearest to the uploaded image (field `file`, at most "
        f"{MAX_BYTES} bytes) by cosine similarity of their embeddings. 409 when no image has "
        "an embedding yet; 503 when no worker embedded the upload in time.",
    )
    def post(self, request):
        limit = read_integer(request.query_params, "limit", 1, MAX_SIMILAR, default=12)
        upload = request.FILES.get("file")
        if upload is None:
            raise UploadedImageError("file", "is required (multipart/form-data)")
        if upload.size > MAX_BYTES:
            raise UploadedImageError("file", f"is larger than {MAX_BYTES} bytes")
        try:
            found = images_like_upload(request.user, upload.read(), limit)
        except NothingToCompare as error:
            raise Conflict(str(error)) from error
        except EmbeddingUnavailable as error:
            raise Unavailable(str(error)) from error
        return Response(similar_answer(request, found))


def similar_answer(request, found) -> dict:
    """The nearest images found, as rows the caller may see (an image hidden between
    the search and this read is left out), with their similarity: the answer of
    both "more like this" endpoints."""
    rows = {
        row["id"]: row
        for row in catalogue_selectors.visible_images(request.user)
        .filter(pk__in=found.ids)
        .values(*s.IMAGE_FIELDS)
    }
    links = s.Links(request)
    results = []
    for image_id in found.ids:
        if image_id in rows:
            row = s.image_row(rows[image_id], links)
            row["similarity"] = found.similarity[image_id]
            results.append(row)
    return {
        "model_version": found.version.pk,
        "model": found.version.model.name,
        "version": found.version.version,
        "results": results,
    }


# Included under /api/v1/ by catalogue.api.urls.
urlpatterns = [
    path("images/similar/", SimilarToUploadView.as_view(), name="images-similar-to-upload"),
]
