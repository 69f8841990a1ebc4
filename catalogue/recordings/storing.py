"""A recording into storage, with the images derived from it (the ingest's stage 2).

Runs where images are stored (catalogue/ingest/storing.py hands over any file
sniffed as a recording), in worker processes, without touching the database: the
outcome carries the Recording row and its images' rows for the writer
(services.write_recording), which writes them together or not at all. Whatever
was stored is deleted again when anything fails.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from catalogue.ingest.errors import IngestError
from catalogue.ingest.imaging import make_thumbnails
from catalogue.ingest.outcomes import CHUNK, Outcome
from catalogue.recordings import audio, frames, limits, sniffing, spectrograms
from catalogue.recordings.claims import claim
from catalogue.recordings.saving import Saver, resolved
from catalogue.recordings.spectrograms import Spectrogrammer

logger = logging.getLogger(__name__)

#: Marks a stored outcome as a recording for the writer.
RECORDING = "recording"
JPEG_QUALITY = 90

# A start time in the name, read as UTC: ISO 8601 basic (20200101T000000Z, as MBARI's
# MARS files) or date_time (20190502_173000, as AudioMoth's).
NAME_TIME = re.compile(r"(?<!\d)(\d{8})(?:T|_)(\d{6})(?:Z|(?!\d))")


def is_recording(outcome: Outcome) -> bool:
    return outcome.status == "stored" and bool(outcome.row) and RECORDING in (outcome.row or {})


def store_recording(
    set_id: int,
    prefix: str,
    known: dict[str, str],
    name: str,
    path: Path,
    media_type: str,
    *,
    frames_chosen: dict[str, Any] | None = None,
    claims: Path | None = None,
) -> Outcome:
    """Check, derive and store one recording; the rows are left to the writer.

    `known` maps the sha256 of each file the set holds (images and recordings) to its
    name, `claims` is the batch's folder of claimed recordings (`claim`): a recording
    among either is a duplicate, found before anything is decoded. `frames_chosen`:
    the upload's frame sampling (frames.chosen_sampling); RECORDING_FRAMES otherwise."""
    bounds = limits.current()
    size = path.stat().st_size
    if size > bounds.max_bytes:
        raise IngestError(name, f"refused: {size:,} bytes, over the limit of {bounds.max_bytes:,}")
    sniffing.check_name(name, media_type)
    sha256 = file_sha256(path)
    if sha256 in known:  # the set holds this file: nothing of it is decoded
        return Outcome(name, "duplicate", sha256=sha256, same_as=known[sha256])
    if claims is not None and (first := claim(claims, sha256, name)) is not None:
        return Outcome(name, "duplicate", sha256=sha256, same_as=first)
    kind = sniffing.kind_of(media_type)
    saver = Saver()
    try:
        if kind == "audio":
            recording, derived = audio_parts(name, path, media_type, bounds)
        else:
            recording, derived = video_parts(name, path, bounds, frames_chosen)
        started = recording["started_at"]
        rows = []
        seen = dict(known)
        for index, (picture, preview, media, place) in enumerate(derived):
            if index >= bounds.max_derived_images:
                raise IngestError(
                    name,
                    f"refused: more than {bounds.max_derived_images:,} images derived from it",
                )
            row = store_derived(prefix, picture, preview, media, saver, seen)
            if row is None:  # the same picture as one before (silence, a still scene)
                recording["derivation"]["identical_skipped"] += 1
                continue
            start, end, axes = place
            captured = started + timedelta(seconds=start) if started else None
            fragment = f"{start:.3f}" if start == end else f"{start:.3f},{end:.3f}"
            rows.append(
                {
                    **row,
                    "image_set_id": set_id,
                    "file_name": f"{name}#t={fragment}",
                    "captured_at": captured,
                    "recording_start": start,
                    "recording_end": end,
                    "recording_axes": axes,
                }
            )
        with open(path, "rb") as stream:
            key = saver.save(
                f"{prefix}recordings/{sha256[:2]}/{sha256}.{sniffing.suffix_of(media_type)}",
                File(stream),
            )
            stored = saver.finish()
        rows = [resolved(row) for row in rows]
    except BaseException:
        delete_keys(saver.abandon())  # what was stored of it
        raise
    recording.update(
        image_set_id=set_id,
        kind=kind,
        file_name=name,
        storage_key=key.result(),
        sha256=sha256,
        size=size,
        media_type=media_type,
    )
    return Outcome(
        name, "stored", sha256=sha256, row={RECORDING: recording, "images": rows}, stored=stored
    )


# (picture, preview the thumbnails are made from, media type, (start, end, axes))
Derived = Iterator[tuple[Image.Image, Image.Image, str, tuple[float, float, dict[str, Any]]]]


def audio_parts(
    name: str, path: Path, media_type: str, bounds: limits.Limits
) -> tuple[dict[str, Any], Derived]:
    info = audio.probe(path, name, media_type, bounds)
    params = limits.setting("RECORDING_SPECTROGRAM")
    if problems := spectrograms.check_parameters(params):
        raise ImproperlyConfigured("RECORDING_SPECTROGRAM: " + "; ".join(problems))
    spectrogrammer = Spectrogrammer(params, info.sample_rate)
    segment = max(1, round(float(params["segment_seconds"]) * info.sample_rate))
    count = -(-info.frames // segment)
    if count > bounds.max_derived_images:
        raise IngestError(
            name,
            f"refused: {count:,} spectrogram segments, over the limit of "
            f"{bounds.max_derived_images:,}",
        )
    recording = {
        "codec": info.codec,
        "duration": info.duration,
        "sample_rate": info.sample_rate,
        "channels": info.channels,
        "started_at": name_time(name),
        "derivation": {**spectrogrammer.derivation(), "identical_skipped": 0},
    }

    def derived() -> Derived:
        for first, samples in audio.segments(path, name, info, segment, spectrogrammer.overlap):
            body = min(segment, info.frames - first)
            columns = spectrogrammer.columns(body)
            start = first / info.sample_rate
            axes = spectrogrammer.axes(start, columns)
            picture = spectrogrammer.image(samples, body)
            yield picture, picture, "image/png", (start, axes["end_s"], axes)

    return recording, derived()


def video_parts(
    name: str, path: Path, bounds: limits.Limits, chosen: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Derived]:
    info = frames.probe(path, name, bounds)
    params = chosen or limits.setting("RECORDING_FRAMES")
    if problems := frames.check_parameters(params):
        if chosen:  # checked where it was chosen (frames.chosen_sampling): a caller's bug
            raise ValueError("frame sampling: " + "; ".join(problems))
        raise ImproperlyConfigured("RECORDING_FRAMES: " + "; ".join(problems))
    if params["mode"] == "rate":
        expected = int(info.duration * float(params["rate"])) + 1
        if expected > bounds.max_derived_images:
            raise IngestError(
                name,
                f"refused: {expected:,} frames would be sampled, over the limit of "
                f"{bounds.max_derived_images:,}",
            )
    recording = {
        "codec": info.codec,
        "duration": info.duration,
        "width": info.width,
        "height": info.height,
        "frame_rate": info.frame_rate,
        "frame_count": info.frame_count,
        "started_at": info.created or name_time(name),
        "derivation": {
            **frames.derivation(params, "upload" if chosen else "settings"),
            "identical_skipped": 0,
        },
    }

    def derived() -> Derived:
        for frame in frames.sample(path, name, info, params, bounds):
            axes = {"type": "frame", "time_s": frame.time, "frame_rate": info.frame_rate}
            yield frame.picture, frame.preview, "image/jpeg", (frame.time, frame.time, axes)

    return recording, derived()


def store_derived(
    prefix: str,
    picture: Image.Image,
    preview: Image.Image,
    media_type: str,
    saver: Saver,
    seen: dict[str, str],
) -> dict[str, Any] | None:
    """Encode one derived image and its thumbnails (made from `preview`, the picture or
    a smaller copy of it) and hand them to the saver; its row's file fields, the keys
    as futures (saving.resolved). None when the set or this recording already holds
    the same bytes."""
    buffer = io.BytesIO()
    if media_type == "image/png":
        picture.save(buffer, format="PNG", compress_level=1)
        suffix = "png"
    else:
        rgb = picture if picture.mode in ("RGB", "L") else picture.convert("RGB")
        rgb.save(buffer, format="JPEG", quality=JPEG_QUALITY)
        suffix = "jpg"
    data = buffer.getvalue()
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 in seen:
        return None
    seen[sha256] = ""
    width, height, mode = picture.width, picture.height, picture.mode
    thumbnails = make_thumbnails(preview)  # shrinks the preview in place
    original = saver.save(f"{prefix}originals/{sha256[:2]}/{sha256}.{suffix}", ContentFile(data))
    keys = {
        size_name: saver.save(
            f"{prefix}thumbnails/{size_name}/{sha256[:2]}/{sha256}.jpg", ContentFile(body)
        )
        for size_name, body in thumbnails.items()
    }
    return {
        "storage_key": original,
        "sha256": sha256,
        "crc32": zlib.crc32(data),
        "size": len(data),
        "media_type": media_type,
        "width": width,
        "height": height,
        "frames": 1,
        "mode": mode,
        "thumbnail_small": keys.get("small", ""),
        "thumbnail_medium": keys.get("medium", ""),
    }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def name_time(name: str) -> datetime | None:
    """The recording's start from its name (UTC), when the name holds one."""
    match = NAME_TIME.search(Path(name).name)
    if not match:
        return None
    try:
        return datetime.strptime("".join(match.groups()), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def delete_keys(keys: list[str]) -> None:
    """Delete what was stored for a recording that will have no row."""
    for key in keys:
        try:
            default_storage.delete(key)
        except Exception:  # cleanup must not hide the original error
            logger.exception("could not delete %s after a failed ingest", key)
