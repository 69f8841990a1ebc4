"""The `recordings` part of bench/ingest.py: hydrophone audio and video ingest against
a bare library loop over the same files, measured in the same run.

    .venv/bin/python bench/ingest.py --parts recordings [--recordings 12] [--repeat 2]

Inputs, made once per run from the real files of tests/recordings/data:
- audio: WAV files of 10 min (2 kHz, 24 bit, as recorded), each twenty copies of
  the real 30 s of MBARI's MARS hydrophone (tests/recordings/data, a blue whale
  call in it), each copy circularly shifted by a different amount (no two 10 s
  segments alike, real sound statistics);
- video: MP4 files of 30 s, 640 x 480 at 10 frames per second, composed as
  tests/recordings/data/compose_video.py does (a FlowCam particle a second, drifting
  over a dark background), the particles in a different order and a little lower
  per file, so that no two files are the same.

- baseline: per file, sha256 of the bytes; audio decoded with soundfile, the same
  spectrogram per 10 s segment (the default settings at 2 kHz: Hann of 128 samples
  zero-padded to 1024, hop 40, 512 rows, dBFS), each encoded as PNG;
  video decoded with PyAV, one frame a second encoded as JPEG; each derived image
  with one 512 px JPEG thumbnail (as the image bench's baseline). Nothing else.
- ours: `catalogue.services.ingest` of the folder into a new set, one process, on
  the embedded default: sniffing, limits, the same derivations plus thumbnails
  (512 and 128 px; a video frame's made from a 512 px preview FFmpeg's scaler
  draws, catalogue/recordings/frames.py), storage of the recording and its images,
  the rows.

Reports files/s for each (best of --repeat, the two sides interleaved), seconds of
recording ingested per second, the ratio of ours to the baseline (goal at least
0.8), and the same ratio over CPU seconds (steadier on a shared machine), with
the machine's load average over the run.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import time
from functools import partial
from pathlib import Path

import av
import numpy as np
import soundfile
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "recordings" / "data"
DEMO = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam" / "images"
HYDROPHONE = DATA / "MARS-20150910T000235Z-2kHz.wav"  # 30 s at 2 kHz
AUDIO_SECONDS, VIDEO_SECONDS = 600, 30
VIDEO_SIZE = (640, 480)
# The default spectrogram settings (catalogue/recordings/limits.py) at 2 kHz.
WINDOW, N_FFT, HOP, ROWS, SEGMENT_S, DB_FLOOR = 128, 1024, 40, 512, 10.0, -120.0


def make_audio(folder: Path, count: int) -> list[Path]:
    samples, rate = soundfile.read(HYDROPHONE, dtype="int32")
    copies = AUDIO_SECONDS // 30
    paths = []
    for index in range(count):
        # Each copy shifted anew: no 10 s segment repeats another (a set holds one copy).
        shifted = [np.roll(samples, (index * copies + copy + 1) * 997) for copy in range(copies)]
        path = folder / f"MARS_{index:03d}.wav"
        soundfile.write(path, np.concatenate(shifted), rate, subtype="PCM_24")
        paths.append(path)
    return paths


def make_video(folder: Path, count: int) -> list[Path]:
    particles = []
    for klass in sorted(p for p in DEMO.iterdir() if p.is_dir()):
        particle = Image.open(sorted(klass.glob("*.jpg"))[0]).convert("RGB")
        scale = 360 / max(particle.size)
        particles.append(
            particle.resize((round(particle.width * scale), round(particle.height * scale)))
        )
    paths = []
    for index in range(count):
        order = particles[:]
        random.Random(index).shuffle(order)
        path = folder / f"camera_{index:03d}.mp4"
        with av.open(str(path), "w", format="mp4") as container:
            stream = container.add_stream("mpeg4", rate=10)
            width, height = VIDEO_SIZE
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for second in range(VIDEO_SECONDS):
                particle = order[second % len(order)]
                for step in range(10):
                    canvas = Image.new("RGB", VIDEO_SIZE, (12, 18, 30))
                    x = (width - particle.width) // 2 - 10 + 2 * step
                    # A second never repeats another: the particle passes lower each time;
                    # nor a file another (a set refuses a copy): each passes `index` px lower.
                    y = (height - particle.height) // 2 - VIDEO_SECONDS + 2 * second + index
                    canvas.paste(particle, (x, y))
                    container.mux(stream.encode(av.VideoFrame.from_image(canvas)))
            container.mux(stream.encode(None))
        paths.append(path)
    return paths


def bare_audio(path: Path) -> None:
    hashlib.sha256(path.read_bytes()).hexdigest()
    samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    mono = samples[:, 0]
    window = np.hanning(WINDOW + 1)[:-1].astype(np.float32)
    segment = int(SEGMENT_S * rate)
    # Row r takes bins from r * bins / ROWS on (the loudest), as the ingest's linear rows.
    starts = np.ceil(np.arange(ROWS) * (N_FFT / 2) / ROWS).astype(int)
    for start in range(0, len(mono), segment):
        chunk = mono[start : start + segment + WINDOW - HOP]
        columns = -(-min(segment, len(mono) - start) // HOP)
        needed = (columns - 1) * HOP + WINDOW
        chunk = np.pad(chunk, (0, max(0, needed - len(chunk))))
        frames = np.lib.stride_tricks.sliding_window_view(chunk[:needed], WINDOW)[::HOP]
        magnitude = np.abs(np.fft.rfft(frames * window, n=N_FFT))
        rows = np.maximum.reduceat(magnitude, starts, axis=1)
        level = 20 * np.log10(np.maximum(rows * 2 / window.sum(), 1e-12))
        grey = np.clip((level - DB_FLOOR) * (255 / -DB_FLOOR), 0, 255).T[::-1].astype(np.uint8)
        picture = Image.fromarray(grey)
        picture.save(io.BytesIO(), format="PNG", compress_level=1)
        thumbnail(picture)


def bare_video(path: Path) -> None:
    hashlib.sha256(path.read_bytes()).hexdigest()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # as ours decodes
        next_time = 0.0
        for frame in container.decode(stream):
            if frame.time + 1e-6 >= next_time:
                next_time = int(frame.time + 1e-6) + 1.0
                picture = frame.to_image()
                picture.save(io.BytesIO(), format="JPEG", quality=90)
                thumbnail(picture)


def thumbnail(picture: Image.Image) -> None:
    picture.thumbnail((512, 512))
    picture.save(io.BytesIO(), format="JPEG", quality=85)


def timed(run) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, its threads included) of `run()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def bare_loop(paths: list[Path], one) -> None:
    for path in paths:
        one(path)


def our_ingest(folder: Path, count: int) -> None:
    from catalogue import services
    from catalogue.access import SYSTEM

    image_set = services.create_image_set(title=f"bench recordings {time.time()}", actor=SYSTEM)
    batch = services.ingest(image_set, [folder], workers=1, actor=SYSTEM)
    if batch.added != count or batch.rejected:
        raise SystemExit(
            f"recording ingest of {folder.name} went wrong: {batch.added} added, "
            f"{batch.rejected[:3]} rejected, {batch.duplicates[:3]} duplicates"
        )


def recordings_part(scratch: Path, count: int, repeat: int) -> dict:
    """Both kinds, best of `repeat`; the inputs deleted afterwards."""
    report = {}
    try:
        for kind, make, bare, seconds in (
            ("audio", make_audio, bare_audio, AUDIO_SECONDS),
            ("video", make_video, bare_video, VIDEO_SECONDS),
        ):
            folder = scratch / f"recordings-{kind}"
            folder.mkdir()
            paths = make(folder, count)
            for path in paths:  # into the page cache for both sides
                path.read_bytes()
            # Interleaved, best of `repeat` each: on a shared machine the two sides
            # meet the same load. CPU time is reported beside wall time for that reason.
            runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "ours": []}
            for _ in range(repeat):
                runs["baseline"].append(timed(partial(bare_loop, paths, bare)))
                runs["ours"].append(timed(partial(our_ingest, folder, len(paths))))
            wall = {side: min(t[0] for t in times) for side, times in runs.items()}
            cpu = {side: min(t[1] for t in times) for side, times in runs.items()}
            report[kind] = {
                "files": len(paths),
                "seconds_per_file": seconds,
                "mean_file_bytes": round(sum(p.stat().st_size for p in paths) / len(paths)),
                "baseline_files_per_s": round(len(paths) / wall["baseline"], 2),
                "ours_files_per_s": round(len(paths) / wall["ours"], 2),
                "ours_recorded_s_per_s": round(len(paths) * seconds / wall["ours"], 1),
                "ratio_ours_to_baseline": round(wall["baseline"] / wall["ours"], 3),
                "cpu_s_baseline": round(cpu["baseline"], 2),
                "cpu_s_ours": round(cpu["ours"], 2),
                "cpu_ratio_ours_to_baseline": round(cpu["baseline"] / cpu["ours"], 3),
                "load_average_1m": round(os.getloadavg()[0], 1),
            }
    finally:
        for kind in ("audio", "video"):
            shutil.rmtree(scratch / f"recordings-{kind}", ignore_errors=True)
    report["goals"] = {"ratio_ours_to_baseline": 0.8}
    return report
