"""Model versions and their cards over the API (GET /models/, /models/{id}/)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.problems import READ_ERRORS, problems
from catalogue.api.views import ApiMixin
from inference.cards import model_card
from inference.models import ModelVersion


class ModelVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField()
    task = serializers.CharField()
    framework = serializers.CharField()
    licence = serializers.CharField()
    url = serializers.URLField(help_text="the version's card (JSON)")
    page = serializers.URLField(help_text="the version's card (HTML)")


def versions():
    return ModelVersion.objects.select_related("model", "training_image_set")


@extend_schema(tags=["models"])
class ModelListView(ApiMixin, APIView):
    """Every registered model version, with links to its card."""

    @extend_schema(
        operation_id="models_list",
        responses={200: ModelVersionSerializer(many=True), **problems(*READ_ERRORS)},
    )
    def get(self, request):
        rows = [version_row(request, v) for v in versions().order_by("model__name", "-created")]
        return Response(rows)


def version_row(request, version: ModelVersion) -> dict:
    model = version.model
    return {
        "id": version.pk,
        "name": model.name,
        "title": model.title or model.name,
        "version": version.version,
        "task": model.task,
        "framework": version.framework,
        "licence": model.licence,
        "url": request.build_absolute_uri(f"/api/v1/models/{version.pk}/"),
        "page": request.build_absolute_uri(f"/models/{model.name}/{version.version}/"),
    }


@extend_schema(tags=["models"])
class ModelCardView(ApiMixin, APIView):
    """The model card of a version (ai4-metadata v2 names, AquaCat's under `aquacat`)."""

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="the model card"),
            **problems(*READ_ERRORS),
        }
    )
    def get(self, request, pk: int):
        version = versions().filter(pk=pk).first()
        if version is None:
            raise exceptions.NotFound("No model version with this id.")
        return Response(model_card(version))
