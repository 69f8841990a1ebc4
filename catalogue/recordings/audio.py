"""Audio recordings read and checked: what the header claims, held to the limits
before any sample is decoded, then decoded segment by segment (never whole).

libsndfile (through soundfile) reads WAV, RF64 and FLAC. A WAV header may claim
more sound than the file holds (its data chunk size); such a file is refused with
both numbers, as is a FLAC whose decoding ends before the samples its header
declares (truncated).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from catalogue.ingest.errors import IngestError
from catalogue.recordings.limits import Limits, seconds

#: Bytes of a WAV file walked to find its data chunk (the chunks before it are small).
WAV_HEADER_SPAN = 1024 * 1024


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int  # samples per channel, as the header declares (or as decoded)
    codec: str

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def probe(path: Path, name: str, media_type: str, limits: Limits) -> AudioInfo:
    """The header's description of the sound, checked against the file and the limits."""
    if media_type == "audio/wav":
        check_wav_claim(path, name)
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise IngestError(name, f"not a readable audio file: {error}") from error
    audio = AudioInfo(
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        frames=int(info.frames),
        codec=str(info.subtype),
    )
    problems = []
    if not 0 < audio.sample_rate <= limits.max_sample_rate:
        problems.append(
            f"sample rate {audio.sample_rate:,} Hz is outside 1..{limits.max_sample_rate:,} Hz"
        )
    if not 0 < audio.channels <= limits.max_channels:
        problems.append(f"{audio.channels} channels, over the limit of {limits.max_channels}")
    if audio.frames <= 0:
        problems.append("it holds no samples")
    elif audio.sample_rate > 0 and audio.duration > limits.max_duration_s:
        problems.append(
            f"it lasts {seconds(audio.duration)}, over the limit of "
            f"{seconds(limits.max_duration_s)}"
        )
    if audio.frames * audio.channels > limits.max_samples:
        problems.append(
            f"it decodes to {audio.frames * audio.channels:,} samples, over the limit of "
            f"{limits.max_samples:,} (a decompression bomb?)"
        )
    if problems:
        raise IngestError(name, "refused: " + "; ".join(problems))
    return audio


def check_wav_claim(path: Path, name: str) -> None:
    """Refuse a WAV whose data chunk claims more bytes than the file holds."""
    size = path.stat().st_size
    with open(path, "rb") as stream:
        head = stream.read(WAV_HEADER_SPAN)
    if head[:4] != b"RIFF":  # RF64 keeps its sizes in a ds64 chunk: libsndfile checks it
        return
    fmt = None
    offset = 12
    while offset + 8 <= len(head):
        chunk_id, chunk_size = struct.unpack_from("<4sI", head, offset)
        if chunk_id == b"fmt " and offset + 24 <= len(head):
            channels, rate, _, block_align = struct.unpack_from("<HIIH", head, offset + 10)
            fmt = (channels, rate, block_align)
        if chunk_id == b"data":
            present = size - (offset + 8)
            # 0xFFFFFFFF (or 0) marks a stream written before its length was known.
            if chunk_size in (0, 0xFFFFFFFF) or chunk_size <= present:
                return
            claim = f"{chunk_size:,} bytes"
            if fmt and fmt[1] and fmt[2]:
                claimed_s = chunk_size / fmt[2] / fmt[1]
                held_s = present / fmt[2] / fmt[1]
                claim = f"{seconds(claimed_s)} of sound but the file holds {seconds(held_s)}"
            else:
                claim += f" of sound but the file holds {present:,}"
            raise IngestError(name, f"refused: the WAV header claims {claim}")
        offset += 8 + chunk_size + (chunk_size & 1)
    raise IngestError(name, "refused: no WAV data chunk in the file's first megabyte")


def segments(
    path: Path, name: str, info: AudioInfo, segment_frames: int, overlap: int
) -> Iterator[tuple[int, np.ndarray]]:
    """(first sample, the first channel's samples) of each segment, `overlap` samples
    of the next one appended so windows run across the cut. Refuses a file whose
    decoding ends before the samples its header declares (truncated)."""
    decoded = 0
    try:
        with soundfile.SoundFile(str(path)) as sound:
            for start in range(0, info.frames, segment_frames):
                sound.seek(start)
                wanted = min(segment_frames + overlap, info.frames - start)
                block = sound.read(wanted, dtype="float32", always_2d=True)
                body = min(len(block), segment_frames)
                decoded += body
                if len(block) < min(wanted, segment_frames):
                    break
                yield start, block[:, 0]
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise IngestError(
            name,
            f"refused: decoding failed after {seconds(decoded / info.sample_rate)} "
            f"of {seconds(info.duration)}: {error}",
        ) from error
    if decoded < info.frames:
        raise IngestError(
            name,
            f"refused: truncated: {seconds(decoded / info.sample_rate)} decoded of the "
            f"{seconds(info.duration)} its header declares",
        )
