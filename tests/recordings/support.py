"""Helpers of the recording tests: the real files, hostile variants made from them."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import av
import numpy as np
import soundfile
from PIL import Image as PILImage

from catalogue import services
from catalogue.access import SYSTEM

DATA = Path(__file__).with_name("data")
# 30 s of MBARI's MARS cabled hydrophone (Monterey Bay, 2015-09-10 00:02:35 UTC),
# decimated to 2 kHz, 24-bit, with a blue whale A call from 6.79 s to 25.99 s, 70-90 Hz
# (the selection oceansoundscape's Raven table gives it; data/README.md).
WAV = DATA / "MARS-20150910T000235Z-2kHz.wav"
FLAC = DATA / "MARS-20150910T000235Z-2kHz.flac"
CALL = {"begin_s": 6.79, "end_s": 25.99, "low_hz": 70.0, "high_hz": 90.0}
VIDEO = DATA / "flowcam_scenes.mp4"


def new_set(**fields):
    return services.create_image_set(
        title=fields.pop("title", "Recordings"), **fields, actor=SYSTEM
    )


def copy(source: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copy(source, target)
    return target


def wav_claiming(folder: Path, seconds: float) -> Path:
    """The real WAV with its data chunk size rewritten to claim `seconds` of sound."""
    data = bytearray(WAV.read_bytes())
    at = data.index(b"data")
    rate, block_align = struct.unpack_from("<I", data, 24)[0], struct.unpack_from("<H", data, 32)[0]
    struct.pack_into("<I", data, at + 4, min(int(seconds * rate * block_align), 0xFFFFFFFE))
    target = folder / "claims_hours.wav"
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(bytes(data))
    return target


def truncated_flac(folder: Path) -> Path:
    """The real FLAC cut at 60% of its bytes (its header still declares 30 s)."""
    data = FLAC.read_bytes()
    target = folder / "truncated.flac"
    folder.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data[: int(len(data) * 0.6)])
    return target


def silent_flac(folder: Path, seconds: float, rate: int = 96_000) -> Path:
    """Digital silence as FLAC: a few bytes a frame, however long (a decompression bomb)."""
    target = folder / "silence.flac"
    folder.mkdir(parents=True, exist_ok=True)
    with soundfile.SoundFile(target, "w", rate, 1, format="FLAC", subtype="PCM_16") as sound:
        block = np.zeros(rate * 10, dtype=np.int16)
        for _ in range(int(seconds // 10)):
            sound.write(block)
    return target


def avi_claiming(folder: Path, width: int, height: int) -> Path:
    """A real 5-frame MJPEG AVI of 64 x 48 whose headers and frames claim `width` x `height`."""
    target = folder / "absurd.avi"
    folder.mkdir(parents=True, exist_ok=True)
    with av.open(str(target), "w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for shade in range(5):
            picture = PILImage.new("RGB", (64, 48), (shade * 40, 0, 0))
            container.mux(stream.encode(av.VideoFrame.from_image(picture)))
        container.mux(stream.encode(None))
    data = bytearray(target.read_bytes())
    struct.pack_into("<ii", data, data.index(b"strf") + 12, width, height)  # BITMAPINFOHEADER
    struct.pack_into("<II", data, data.index(b"avih") + 40, width, height)  # main header
    at = 0
    while (at := data.find(b"\xff\xc0", at)) >= 0:  # each JPEG's start of frame
        struct.pack_into(">HH", data, at + 5, height, width)
        at += 2
    target.write_bytes(bytes(data))
    return target
