"""What the upload endpoints read and show: request bodies, the upload as the API shows it."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from catalogue.api import sampling
from catalogue.api import serializers as s
from catalogue.api.problems import MEDIA_TYPE, READ_ERRORS, ProblemSerializer, problems
from catalogue.api.strict import StrictInput
from catalogue.recordings import frames
from catalogue.uploads import selectors, services, storage
from catalogue.uploads.models import Upload


class FrameSamplingInput(serializers.Serializer):
    """How the videos of an upload are sampled into frames: `frame_rate` or
    `scene_threshold`, or neither (RECORDING_FRAMES applies); `validated_data["frames"]`."""

    frame_rate = sampling.frame_rate()
    scene_threshold = sampling.scene_threshold()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        chosen, wrong = frames.chosen_sampling(
            attrs.pop("frame_rate", None), attrs.pop("scene_threshold", None)
        )
        if wrong:
            raise serializers.ValidationError({field: [reason] for field, reason in wrong.items()})
        attrs["frames"] = chosen
        return attrs


class StartSerializer(StrictInput, FrameSamplingInput):
    file_name = serializers.CharField(max_length=1000)
    size = serializers.IntegerField(min_value=1, max_value=settings.UPLOAD_MAX_BYTES)
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        help_text="of the whole file; may come with the completion instead",
    )
    without_metadata = serializers.BooleanField(default=False)


class CompleteSerializer(StrictInput, FrameSamplingInput):
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
    frame_sampling = serializers.CharField(
        allow_null=True,
        help_text="how its videos are sampled into frames, as chosen at the start or the "
        "completion; null: the portal's default",
    )
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
        "frame_sampling": frames.described_sampling(upload.frames) if upload.frames else None,
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
