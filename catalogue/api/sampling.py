"""An upload's frame sampling fields with their ranges stated for the schema; the rule
between them (one or the other, never both) is checked by
catalogue.recordings.frames.chosen_sampling and named in their help."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.recordings.frames import MAX_RATE


def above_zero_up_to(top: float) -> dict:
    # OpenAPI 3.0: exclusiveMinimum is a flag on minimum.
    return {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": top}


@extend_schema_field(above_zero_up_to(MAX_RATE))
class FrameRateField(serializers.FloatField):
    pass


@extend_schema_field(above_zero_up_to(1))
class SceneThresholdField(serializers.FloatField):
    pass


def frame_rate() -> FrameRateField:
    return FrameRateField(
        required=False,
        help_text=f"videos: frames kept per second (above 0, at most {MAX_RATE:g}); "
        "not with scene_threshold",
    )


def scene_threshold() -> SceneThresholdField:
    return SceneThresholdField(
        required=False,
        help_text="videos: keep a frame at each scene change of at least this mean change "
        "of grey levels (above 0, at most 1) instead of a rate; not with frame_rate; "
        "RECORDING_FRAMES applies when neither is given",
    )
