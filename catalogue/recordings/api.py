"""API of recordings: one recording with its derived images and their annotations
read in recording time (time-frequency boxes on spectrograms, video time on frames),
and those annotations as a file (a Raven selection table, or detections as CSV).

Thin: reads through recordings.selectors (404 for a caller who may not read the
set's files), the time-frequency reading in recordings.axes.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.problems import READ_ERRORS, problems
from catalogue.api.views import IF_NONE_MATCH, NOT_MODIFIED, ApiMixin, conditional
from catalogue.models import Recording
from catalogue.recordings import exports, selectors
from catalogue.recordings.axes import annotation_time_frequency
from curation.api.label_sets import CSVRenderer, TextRenderer


class TimeFrequencySerializer(serializers.Serializer):
    begin_s = serializers.FloatField()
    end_s = serializers.FloatField()
    low_hz = serializers.FloatField()
    high_hz = serializers.FloatField()


class RecordingAnnotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    status = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)
    shape = serializers.CharField()
    coordinates = serializers.JSONField()
    time_frequency = TimeFrequencySerializer(
        allow_null=True, help_text="on a spectrogram: seconds from the start and Hz"
    )
    video_time_s = serializers.FloatField(allow_null=True, help_text="on a video frame")


class DerivedImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()
    captured_at = serializers.DateTimeField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    axes = serializers.JSONField()
    annotations = RecordingAnnotationSerializer(many=True)


class RecordingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    image_set = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Recording.Kind.choices)
    file_name = serializers.CharField()
    file = serializers.URLField()
    media_type = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    codec = serializers.CharField()
    duration_s = serializers.FloatField()
    sample_rate = serializers.IntegerField(allow_null=True)
    channels = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    frame_rate = serializers.FloatField(allow_null=True)
    frame_count = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    derivation = serializers.JSONField()
    images = DerivedImageSerializer(many=True)


class TSVRenderer(TextRenderer):
    media_type = "text/tab-separated-values"
    format = "txt"


def recording_data(request, recording: Recording) -> dict:
    """The recording as `RecordingSerializer` describes it."""
    images: dict[int, dict] = {}
    for image in recording.images.order_by("recording_start", "pk"):
        images[image.pk] = {
            "id": image.pk,
            "file_name": image.file_name,
            "start_s": image.recording_start,
            "end_s": image.recording_end,
            "captured_at": image.captured_at.isoformat() if image.captured_at else None,
            "width": image.width,
            "height": image.height,
            "axes": image.recording_axes,
            "annotations": [],
        }
    for annotation in selectors.recording_annotations(recording):
        image = annotation.image
        box = annotation_time_frequency(annotation)
        images[image.pk]["annotations"].append(
            {
                "id": annotation.pk,
                "label": annotation.label.name,
                "status": annotation.status,
                "confidence": annotation.confidence,
                "shape": annotation.shape,
                "coordinates": annotation.coordinates,
                "time_frequency": box,
                "video_time_s": image.recording_start if recording.kind == "video" else None,
            }
        )
    file_url = reverse("catalogue:recording-file", kwargs={"pk": recording.pk})
    return {
        "id": recording.pk,
        "image_set": recording.image_set_id,
        "kind": recording.kind,
        "file_name": recording.file_name,
        "file": request.build_absolute_uri(file_url),
        "media_type": recording.media_type,
        "sha256": recording.sha256,
        "size": recording.size,
        "codec": recording.codec,
        "duration_s": recording.duration,
        "sample_rate": recording.sample_rate,
        "channels": recording.channels,
        "width": recording.width,
        "height": recording.height,
        "frame_rate": recording.frame_rate,
        "frame_count": recording.frame_count,
        "started_at": recording.started_at.isoformat() if recording.started_at else None,
        "derivation": recording.derivation,
        "images": list(images.values()),
    }


@extend_schema(tags=["recordings"])
class RecordingView(ApiMixin, APIView):
    """A recording (hydrophone audio or video) with its derived images and annotations."""

    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={200: RecordingSerializer, 304: NOT_MODIFIED, **problems(*READ_ERRORS)},
    )
    def get(self, request, pk: int):
        return conditional(
            request, recording_data(request, selectors.recording_for(request.user, pk))
        )


@extend_schema(tags=["recordings"])
class RecordingExportView(ApiMixin, APIView):
    """The recording's annotations as a file: a Raven selection table for audio
    (times from the recording's start, frequencies in Hz), CSV with video time for video."""

    renderer_classes = [TSVRenderer, CSVRenderer]

    @extend_schema(
        responses={
            (200, "text/tab-separated-values"): OpenApiResponse(
                OpenApiTypes.STR, description="audio: Raven selection table"
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="video: " + ",".join(exports.DETECTION_COLUMNS)
            ),
            **problems(*READ_ERRORS),
        },
    )
    def get(self, request, pk: int):
        recording = selectors.recording_for(request.user, pk)
        annotations = selectors.recording_annotations(recording)
        stem = recording.file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "recording"
        if recording.kind == Recording.Kind.AUDIO:
            body = exports.raven_selection_table(recording, annotations)
            name, media_type = f"{stem}.selections.txt", TSVRenderer.media_type
        else:
            body = exports.video_detections_csv(recording, annotations)
            name, media_type = f"{stem}.detections.csv", CSVRenderer.media_type
        return Response(
            body,
            content_type=f"{media_type}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
