"""Video recordings read and checked, and their frames sampled (PyAV, which bundles
FFmpeg).

The container's description (frame size, frame rate, duration, frame count) is
held to the limits before a frame is decoded; while decoding, frames are counted
and their size checked again, so a stream that lies in its header is stopped.

Sampling, recorded on the recording as its `derivation`:
- "rate": the first frame at or after each multiple of 1 / `rate` seconds;
- "scene": the first frame, then each frame whose mean absolute change from the
  frame before it (grey, 64 x 36 pixels, 0..1) is at least `threshold` (a cut, as
  FFmpeg's scene score compares neighbours), at least `min_gap_s` seconds after the
  last kept one.
Each kept frame keeps its presentation time (seconds from the video's start).
The sampling is RECORDING_FRAMES unless the upload chose one (`chosen_sampling`:
a rate, or scene changes with a threshold); the derivation says which
(`chosen_by`: "upload" or "settings").

A kept frame comes with a preview at the largest thumbnail's size, scaled by
FFmpeg's scaler straight from the decoded picture (an area filter, as Pillow's
thumbnails): thumbnails are made from it rather than from the full frame, the
costliest step of video ingest after decoding.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from catalogue.ingest.errors import IngestError
from catalogue.ingest.imaging import THUMBNAIL_SIZES
from catalogue.recordings.limits import Limits, seconds

SCENE_SIZE = (64, 36)
MODES = ("rate", "scene")
MAX_RATE = 120.0  # frames per second: more than any observatory camera records
PREVIEW_SIDE = max(THUMBNAIL_SIZES.values())


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    frame_rate: float
    frame_count: int  # declared, or estimated from duration and rate
    duration: float
    codec: str
    created: datetime | None


@dataclass(frozen=True)
class SampledFrame:
    time: float  # seconds from the video's start
    picture: Image.Image  # the whole frame, RGB
    preview: Image.Image  # at most PREVIEW_SIDE a side; the picture itself when it fits


def check_parameters(params: dict[str, Any]) -> list[str]:
    mode = params.get("mode")
    if mode not in MODES:
        return [f"mode must be one of {', '.join(MODES)}"]
    if mode == "rate" and not 0 < float(params.get("rate", 0)) <= MAX_RATE:
        return [f"rate must be above 0 and at most {MAX_RATE:g} frames per second"]
    if mode == "scene" and not 0 < float(params.get("threshold", 0)) <= 1:
        return ["threshold must be above 0 and at most 1"]
    return []


def chosen_sampling(
    frame_rate: float | None, scene_threshold: float | None
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The frame sampling an upload chose (None: RECORDING_FRAMES applies) and the
    problems of the choice by field name, every one of them."""
    problems: dict[str, str] = {}
    if frame_rate is not None and scene_threshold is not None:
        reason = "choose frame_rate or scene_threshold, not both"
        return None, {"frame_rate": reason, "scene_threshold": reason}
    if frame_rate is not None and not (math.isfinite(frame_rate) and 0 < frame_rate <= MAX_RATE):
        problems["frame_rate"] = (
            f"{frame_rate:g} frames per second: must be above 0 and at most {MAX_RATE:g}"
        )
    if scene_threshold is not None and not (
        math.isfinite(scene_threshold) and 0 < scene_threshold <= 1
    ):
        problems["scene_threshold"] = (
            f"{scene_threshold:g}: a mean change of grey levels, above 0 and at most 1"
        )
    if problems:
        return None, problems
    if frame_rate is not None:
        return {"mode": "rate", "rate": frame_rate}, {}
    if scene_threshold is not None:
        return {"mode": "scene", "threshold": scene_threshold}, {}
    return None, {}


def described_sampling(params: dict[str, Any]) -> str:
    """Frame sampling as people read it: "2 frames a second", "at scene changes of 0.3"."""
    if params.get("mode") == "scene":
        return f"a frame at each scene change of at least {float(params['threshold']):g}"
    rate = float(params.get("rate", 1.0))
    return f"{rate:g} frame{'' if rate == 1 else 's'} a second"


def probe(path: Path, name: str, limits: Limits) -> VideoInfo:
    """The container's description of its first video stream, checked against the limits."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise IngestError(name, "refused: the file holds no video stream")
            stream = container.streams.video[0]
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            duration = 0.0
            if stream.duration and stream.time_base:
                duration = float(stream.duration * stream.time_base)
            elif container.duration:
                duration = container.duration / av.time_base
            count = int(stream.frames or round(duration * rate))
            info = VideoInfo(
                width=int(stream.codec_context.width),
                height=int(stream.codec_context.height),
                frame_rate=rate,
                frame_count=count,
                duration=duration,
                codec=str(stream.codec_context.name),
                created=creation_time(container.metadata, stream.metadata),
            )
    except av.FFmpegError as error:
        raise IngestError(name, f"not a readable video: {error}") from error
    problems = []
    pixels = info.width * info.height
    if info.width <= 0 or info.height <= 0:
        problems.append(
            "the video stream has no usable frame size (FFmpeg refused the size it declares)"
        )
    elif pixels > limits.max_frame_pixels:
        problems.append(
            f"frames of {info.width}x{info.height} = {pixels:,} pixels, over the limit of "
            f"{limits.max_frame_pixels:,}"
        )
    if info.duration > limits.max_duration_s:
        problems.append(
            f"it lasts {seconds(info.duration)}, over the limit of {seconds(limits.max_duration_s)}"
        )
    if info.frame_count > limits.max_frames:
        problems.append(f"{info.frame_count:,} frames, over the limit of {limits.max_frames:,}")
    if problems:
        raise IngestError(name, "refused: " + "; ".join(problems))
    return info


def creation_time(*tags: dict[str, str]) -> datetime | None:
    """The container's `creation_time` tag (ISO 8601, UTC), when present and valid."""
    for metadata in tags:
        value = (metadata or {}).get("creation_time", "")
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        # Muxers write 1970 or 1904 when nobody set the time: not a time.
        if moment.year > 1990:
            return moment if moment.tzinfo else None
    return None


def sample(
    path: Path, name: str, info: VideoInfo, params: dict[str, Any], limits: Limits
) -> Iterator[SampledFrame]:
    """Each sampled frame with its time and preview; refuses a stream past the limits."""
    mode = params["mode"]
    step = 1.0 / float(params.get("rate", 1.0))
    threshold = float(params.get("threshold", 0.3))
    min_gap = float(params.get("min_gap_s", 0.0))
    next_time, last_time = 0.0, -np.inf
    previous: np.ndarray | None = None
    decoded = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                decoded += 1
                if decoded > limits.max_frames:
                    raise IngestError(
                        name, f"refused: more than {limits.max_frames:,} frames decoded"
                    )
                if frame.width * frame.height > limits.max_frame_pixels:
                    raise IngestError(
                        name,
                        f"refused: a frame of {frame.width}x{frame.height} pixels, over the "
                        f"limit of {limits.max_frame_pixels:,}",
                    )
                time = frame_time(frame, decoded, info)
                if mode == "rate":
                    if time + 1e-6 < next_time:
                        continue
                    next_time = (int(time / step + 1e-6) + 1) * step
                else:
                    small = frame.reformat(*SCENE_SIZE, format="gray", threads=1).to_ndarray()
                    small = small.astype(np.float32) / 255.0
                    previous, before = small, previous
                    if before is not None and (
                        time - last_time < min_gap
                        or float(np.abs(small - before).mean()) < threshold
                    ):
                        continue
                    last_time = time
                yield sampled(frame, time)
    except av.FFmpegError as error:
        raise IngestError(
            name, f"refused: decoding failed after {decoded:,} frames: {error}"
        ) from error


def sampled(frame: av.VideoFrame, time: float) -> SampledFrame:
    # One scaling thread (PyAV's default is one per CPU): the decoder has its own
    # threads, and handing one frame's conversion to several cost more than it saved.
    picture = frame.to_image(threads=1)
    size = preview_size(frame.width, frame.height)
    if size == (frame.width, frame.height):
        return SampledFrame(time, picture, picture)
    preview = frame.reformat(*size, format="rgb24", interpolation="AREA", threads=1)
    return SampledFrame(time, picture, preview.to_image())


def preview_size(width: int, height: int) -> tuple[int, int]:
    """The size Pillow's `thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))` gives a frame of
    this size (its rounding, to the nearer aspect), so that the thumbnails made from
    the preview have the sizes of those made from the whole frame."""
    side = PREVIEW_SIDE
    if width <= side and height <= side:
        return width, height
    aspect = width / height
    if aspect <= 1:
        columns = min(
            math.floor(side * aspect),
            math.ceil(side * aspect),
            key=lambda n: abs(aspect - n / side),
        )
        return max(columns, 1), side
    rows = min(
        math.floor(side / aspect),
        math.ceil(side / aspect),
        key=lambda n: abs(aspect - side / n) if n else 0,
    )
    return side, max(rows, 1)


def frame_time(frame: av.VideoFrame, index: int, info: VideoInfo) -> float:
    """A frame's presentation time in seconds; from its index when it has none."""
    if frame.pts is not None and frame.time_base:
        return float(frame.pts * Fraction(frame.time_base))
    return (index - 1) / info.frame_rate if info.frame_rate else 0.0


def derivation(params: dict[str, Any], chosen_by: str = "settings") -> dict[str, Any]:
    """How frames were sampled; `chosen_by`: "upload" (the curator's choice) or "settings"."""
    if params["mode"] == "rate":
        return {
            "type": "frames",
            "mode": "rate",
            "rate": float(params.get("rate", 1.0)),
            "chosen_by": chosen_by,
        }
    return {
        "type": "frames",
        "mode": "scene",
        "threshold": float(params.get("threshold", 0.3)),
        "min_gap_s": float(params.get("min_gap_s", 0.0)),
        "scene_size": list(SCENE_SIZE),
        "chosen_by": chosen_by,
    }
