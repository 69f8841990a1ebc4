"""Inference jobs over the API: start, list, progress, cancel, retry. A job exists only
for its user and staff (404 otherwise)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.problems import READ_ERRORS, WRITE_ERRORS, Conflict, Missing, problems
from catalogue.api.strict import StrictInput
from catalogue.api.views import ApiMixin
from inference import services
from inference.api.cards import versions
from inference.models import InferenceJob
from inference.selectors import (
    MAX_SELECTED_IDS,
    job_progress,
    visible_jobs,
)


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


ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def only(name: str, schema: dict) -> dict:
    return {
        "type": "object",
        "properties": {name: schema},
        "required": [name],
        "additionalProperties": False,
    }


@extend_schema_field(
    {
        "oneOf": [
            only("image_set", ID),
            only(
                "image_ids",
                {"type": "array", "items": ID, "minItems": 1, "maxItems": MAX_SELECTED_IDS},
            ),
            only("search", {"type": "object", "description": "search parameters"}),
        ]
    }
)
class SelectionField(serializers.JSONField):
    """Checked by inference.selectors.selected_image_ids (each problem as selection.<key>)."""


class JobCreateSerializer(StrictInput, serializers.Serializer):
    model_version = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="the id of a model version (/models/)"
    )
    selection = SelectionField(
        help_text='exactly one of {"image_set": id}, {"image_ids": [id, ...]} or '
        '{"search": {search parameters, as for /search/}} (a saved search: `kind=set` selects '
        "every image of the sets found, `kind=image` the images found); only images you may "
        "see are selected"
    )
    batch_size = serializers.IntegerField(
        required=False, min_value=1, max_value=1000, help_text="images per task"
    )


def job_data(request, job: InferenceJob) -> dict:
    return {
        "id": job.pk,
        "state": job.state,
        "model_version": job.model_version_id,
        "model": job.model_version.model.name,
        "version": job.model_version.version,
        "selection": job.selection,
        "total": job.total,
        "progress": job_progress(job),
        "summary": job.summary,
        "error": job.error,
        "created": job.created,
        "started": job.started,
        "finished": job.finished,
        "url": request.build_absolute_uri(f"/jobs/{job.pk}/"),
    }


def jobs_of(user):
    return visible_jobs(user).select_related("model_version__model")


def visible_job(request, pk: int) -> InferenceJob:
    job = jobs_of(request.user).filter(pk=pk).first()
    if job is None:
        raise exceptions.NotFound("No job with this id (or none you may see).")
    return job


def job_error(error: services.JobError) -> exceptions.ValidationError:
    field = error.field
    if field not in ("selection", "batch_size", "model_version", "non_field_errors"):
        field = f"selection.{field}"
    return exceptions.ValidationError({field: [error.reason]})


@extend_schema(tags=["jobs"])
class JobListView(ApiMixin, GenericAPIView):
    """The caller's inference jobs (staff: every job), newest first; and starting one."""

    parser_classes = [JSONParser]
    filter_backends: list = []
    serializer_class = JobSerializer

    def get_queryset(self):
        return jobs_of(self.request.user).order_by()

    @extend_schema(
        operation_id="jobs_list",
        responses={200: JobSerializer(many=True), **problems(*READ_ERRORS)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([job_data(request, job) for job in page])

    @extend_schema(
        operation_id="jobs_create",
        request=JobCreateSerializer,
        responses={201: JobSerializer, **problems(*WRITE_ERRORS)},
        description="Run a model version over a selection of images (only those you may "
        "see). The job is split into batches, one worker task each; follow it at its URL. "
        "404 naming `model_version` for a version that does not exist, or `selection` when "
        "it selects no image you may see; 400 naming `selection.<key>` for search "
        "parameters the search refuses.",
    )
    def post(self, request):
        serializer = JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = versions().filter(pk=data["model_version"]).first()
        if version is None:
            raise Missing("model_version", "No model version with this id.")
        try:
            job = services.start_job(
                version,
                data["selection"],
                request.user,
                batch_size=data.get("batch_size"),
                allow_empty=False,
            )
        except services.JobError as error:
            if error.field == "selection" and error.reason.startswith("selects no image"):
                raise Missing("selection", error.reason) from error  # nothing found to run on
            raise job_error(error) from error
        body = job_data(request, visible_job(request, job.pk))
        location = request.build_absolute_uri(f"/api/v1/jobs/{job.pk}/")
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


@extend_schema(tags=["jobs"])
class JobView(ApiMixin, APIView):
    """An inference job's state and progress, for its user and staff."""

    @extend_schema(responses={200: JobSerializer, **problems(*READ_ERRORS)})
    def get(self, request, pk: int):
        return Response(job_data(request, visible_job(request, pk)))


@extend_schema(tags=["jobs"])
class JobCancelView(ApiMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="jobs_cancel",
        request=None,
        responses={200: JobSerializer, **problems(*WRITE_ERRORS)},
        description="Stop a queued or running job: batches not yet started are skipped, a "
        "running batch finishes. 409 when the job has already finished.",
    )
    def post(self, request, pk: int):
        job = visible_job(request, pk)
        if job.state not in (InferenceJob.State.QUEUED, InferenceJob.State.RUNNING):
            raise Conflict(
                f"The job is {job.state}; only a queued or running one can be cancelled."
            )
        services.cancel_job(job)
        return Response(job_data(request, visible_job(request, pk)))


@extend_schema(tags=["jobs"])
class JobRetryView(ApiMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="jobs_retry",
        request=None,
        responses={200: JobSerializer, **problems(*WRITE_ERRORS)},
        description="Send a finished job's failed and skipped batches again (images already "
        "done are not run twice). 409 while the job is still queued or running.",
    )
    def post(self, request, pk: int):
        job = visible_job(request, pk)
        try:
            services.retry_job(job)
        except services.JobError as error:
            raise Conflict(error.reason) from error
        return Response(job_data(request, visible_job(request, pk)))
