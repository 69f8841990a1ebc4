"""More like this image of the catalogue (GET /images/{id}/similar/)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api import serializers as s
from catalogue.api.parameters import bounded_integer, read_integer
from catalogue.api.problems import READ_ERRORS, Conflict, problems
from catalogue.api.views import ApiMixin
from inference.api import similar_upload
from inference.selectors import (
    ImageNotFound,
    NoEmbedding,
    nearest_images,
)


class SimilarImageSerializer(s.ImageSerializer):
    similarity = serializers.FloatField(help_text="cosine similarity of the embeddings, -1..1")


class SimilarImagesSerializer(serializers.Serializer):
    image = serializers.IntegerField(help_text="the image asked about")
    model_version = serializers.IntegerField(help_text="the embedder whose vectors were compared")
    model = serializers.CharField()
    version = serializers.CharField()
    results = SimilarImageSerializer(many=True, help_text="nearest first")


MAX_SIMILAR = 100


@extend_schema(tags=["images"])
class SimilarImagesView(ApiMixin, APIView):
    """More like this: the visible images whose embeddings are nearest to this one's."""

    @extend_schema(
        operation_id="images_similar",
        parameters=[bounded_integer("limit", 1, MAX_SIMILAR, default=12)],
        responses={200: SimilarImagesSerializer, **problems(*READ_ERRORS, 409)},
        description="Nearest images by cosine similarity of their stored embeddings, among "
        "the images you may see. 409 when this image has no embedding yet.",
    )
    def get(self, request, pk: int):
        limit = read_integer(request.query_params, "limit", 1, MAX_SIMILAR, default=12)
        try:
            found = nearest_images(request.user, pk, limit)
        except ImageNotFound as error:
            raise exceptions.NotFound("No image with this id (or none you may see).") from error
        except NoEmbedding as error:
            raise Conflict(
                "This image has no embedding yet; it gets one when an embedding job has run "
                "over it."
            ) from error
        return Response({"image": pk, **similar_upload.similar_answer(request, found)})
