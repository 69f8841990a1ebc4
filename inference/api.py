"""Read-only API of the inference app: model cards and a job's progress.

Routed under /api/v1/ by catalogue.api.urls; errors are problem details like
the rest of the API. A job exists only for its user and staff (404 otherwise).
"""

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
from inference.selectors import job_progress, visible_jobs


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


class ProgressSerializer(serializers.Serializer):
    state = serializers.CharField()
    total = serializers.IntegerField()
    processed = serializers.IntegerField(help_text="images in finished batches")
    failed_images = serializers.IntegerField()
    skipped = serializers.IntegerField()
    fraction = serializers.FloatField()
    batches = serializers.DictField(child=serializers.IntegerField(), help_text="state -> count")


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    model_version = serializers.IntegerField()
    model = serializers.CharField()
    version = serializers.CharField()
    selection = serializers.JSONField()
    total = serializers.IntegerField()
    progress = ProgressSerializer()
    summary = serializers.DictField()
    error = serializers.CharField()
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(help_text="the job's page")


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
        rows = []
        for version in versions().order_by("model__name", "-created"):
            model = version.model
            rows.append(
                {
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
            )
        return Response(rows)


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


@extend_schema(tags=["jobs"])
class JobView(ApiMixin, APIView):
    """An inference job's state and progress, for its user and staff."""

    @extend_schema(responses={200: JobSerializer, **problems(*READ_ERRORS)})
    def get(self, request, pk: int):
        job = (
            visible_jobs(request.user).select_related("model_version__model").filter(pk=pk).first()
        )
        if job is None:
            raise exceptions.NotFound("No job with this id (or none you may see).")
        progress = job_progress(job)
        return Response(
            {
                "id": job.pk,
                "state": job.state,
                "model_version": job.model_version_id,
                "model": job.model_version.model.name,
                "version": job.model_version.version,
                "selection": job.selection,
                "total": job.total,
                "progress": progress,
                "summary": job.summary,
                "error": job.error,
                "created": job.created,
                "started": job.started,
                "finished": job.finished,
                "url": request.build_absolute_uri(f"/jobs/{job.pk}/"),
            }
        )
