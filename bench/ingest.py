"""Ingest throughput against a bare decode-and-hash loop, measured in the same run.

    .venv/bin/python bench/ingest.py [--images 200] [--repeat 2] [--parts folder,upload]

Input: N JPEGs of 1920x1280 (2.5 MP), each a mosaic of real FlowCam images
from catalogue/demo (so the content has real image statistics), made once per
run in a temporary folder. Both sides read the same files from the page cache.

- baseline: per file, sha256 of the bytes, a reduced-size JPEG decode (draft)
  and one 512 px thumbnail encoded as JPEG; nothing else.
- ours: `catalogue.services.ingest` of the folder into a new set, on the
  embedded default (SQLite, local file storage in a temporary folder): sniff,
  hash, duplicate check, decode, EXIF, two thumbnails, store original and
  thumbnails, insert the row, derive coverage.

Prints one JSON object: images/s for each, their ratio, and the speed-up of
2 worker processes over 1 (for ours and for the baseline). Best of --repeat.

The `upload` part (`--parts upload`, `--upload-images 2000`): the images zipped,
then sent as a resumable upload through the API in 8 MiB chunks (each with its
sha256; the whole file hashed while it is sent, as the upload page does), completed
and ingested by a real Celery worker process (broker in SQLite, as embedded), timed
from the first request until the upload is done, against the bare loop over the same
images in the same run.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "catalogue" / "demo" / "phytoplankton-flowcam" / "images"
WIDTH, HEIGHT = 1920, 1280


def make_inputs(
    folder: Path, count: int, size: tuple[int, int] = (WIDTH, HEIGHT), *, seed: int = 42
) -> list[Path]:
    """`count` JPEG mosaics of real FlowCam images (real image statistics), `size` pixels.
    Shared by the ingest and publish benches."""
    from PIL import Image

    width, height = size
    tiles = [Image.open(p).convert("RGB") for p in sorted(DEMO.glob("*/*.jpg"))]
    rng = random.Random(seed)
    paths = []
    for index in range(count):
        canvas = Image.new("RGB", (width, height), (235, 235, 230))
        y = 0
        while y < height:
            x, row_height = 0, 0
            while x < width:
                tile = rng.choice(tiles)
                canvas.paste(tile, (x, y))
                x += tile.width
                row_height = max(row_height, tile.height)
            y += row_height
        path = folder / f"mosaic-{index:04d}.jpg"
        canvas.save(path, "JPEG", quality=92)
        paths.append(path)
    return paths


def bare_one(path: Path) -> str:
    from PIL import Image

    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (512, 512))
        image.thumbnail((512, 512))
        image.save(io.BytesIO(), "JPEG", quality=85)
    return digest


def bare_loop(paths: list[Path], workers: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        for path in paths:
            bare_one(path)
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            list(pool.imap_unordered(bare_one, paths, chunksize=4))
    return len(paths) / (time.perf_counter() - started)


def our_ingest(folder: Path, count: int, workers: int) -> float:
    from catalogue import services
    from catalogue.access import SYSTEM

    image_set = services.create_image_set(
        title=f"bench {workers} worker(s) {time.time()}", actor=SYSTEM
    )
    started = time.perf_counter()
    batch = services.ingest(image_set, [folder], workers=workers, actor=SYSTEM)
    elapsed = time.perf_counter() - started
    if batch.added != count or batch.rejected:
        raise SystemExit(f"ingest went wrong: {batch.added} added, {batch.rejected[:3]}")
    return count / elapsed


UPLOAD_CHUNK = 8 * 1024**2
PHASES: list[dict] = []  # where the time of each upload went


def start_upload_worker(queue: str) -> subprocess.Popen:
    """A `celery worker` of the project on its own queue, ready once it ran a ping."""
    from aquacat.tasks import ping

    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "aquacat", "worker", "--loglevel=WARNING"),
            *("--concurrency=1", "-Q", queue, "-n", f"{queue}@bench"),
            *("--without-mingle", "--without-gossip"),
        ],
        cwd=ROOT,
        # Only uploads: what an ingest queues after it (indexing) waits on the default queue.
        env=dict(os.environ),
        stdout=sys.stderr,  # stdout is the JSON
    )
    ping.apply_async(args=["ready"], queue=queue).get(timeout=120)
    return worker


def upload_and_ingest(archive: Path, count: int, owner, token: str) -> float:
    """Images/s of a chunked upload of `archive` into a new set, ingested by the worker."""
    from django.test import Client

    from catalogue import services
    from catalogue.access import SYSTEM
    from catalogue.models import Upload

    image_set = services.create_image_set(
        title=f"bench upload {time.time()}", owner=owner, actor=SYSTEM
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    started = time.perf_counter()
    # As the upload page does: the whole file's sha256 computed while it is sent,
    # given with the completion.
    digest = hashlib.sha256()
    answer = client.post(
        f"/api/v1/image-sets/{image_set.pk}/uploads/",
        {"file_name": archive.name, "size": archive.stat().st_size},
        content_type="application/json",
    ).json()
    path = f"/api/v1/uploads/{answer['id']}/"
    offset = 0
    with archive.open("rb") as stream:
        while chunk := stream.read(UPLOAD_CHUNK):
            digest.update(chunk)
            checksum = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
            sent = client.generic(
                "PATCH",
                path,
                chunk,
                content_type="application/offset+octet-stream",
                headers={"Upload-Offset": str(offset), "Upload-Checksum": f"sha256 {checksum}"},
            )
            if sent.status_code != 204:
                raise SystemExit(f"chunk at {offset} refused: {sent.content[:300]!r}")
            offset = int(sent["Upload-Offset"])
    completed = client.post(
        f"{path}complete/", {"sha256": digest.hexdigest()}, content_type="application/json"
    )
    if completed.status_code != 202:
        raise SystemExit("the upload could not be completed")
    sent = time.perf_counter()
    picked = None
    while (upload := Upload.objects.get(uuid=answer["id"])).state not in ("done", "failed"):
        if picked is None and upload.state != "queued":
            picked = time.perf_counter()
        time.sleep(0.2)  # reading often would contend with the worker for SQLite
    elapsed = time.perf_counter() - started
    picked = picked or sent
    PHASES.append(
        {
            "upload_s": round(sent - started, 2),
            "queued_s": round(picked - sent, 2),
            "ingest_s": round(time.perf_counter() - picked, 2),
        }
    )
    batch = upload.batch
    if upload.state != "done" or batch is None or batch.added != count:
        raise SystemExit(f"upload went wrong: {upload.state} {upload.error} {batch}")
    return count / elapsed


def upload_part(scratch: Path, args) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from aquacat import tokens

    folder = scratch / "upload-inputs"
    folder.mkdir()
    paths = make_inputs(folder, args.upload_images, seed=7)
    archive = scratch / "bench-upload.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as bundle:
        for path in paths:
            bundle.write(path, path.name)
    user = get_user_model().objects.create_user(f"bench-{time.time_ns()}")
    _token, secret = tokens.create_token(user=user, name="bench", scopes=("read", "write"))
    queue = f"bench-uploads-{os.getpid()}"
    settings.UPLOAD_QUEUE = queue
    worker = start_upload_worker(queue)
    results: dict[str, float] = {}
    try:
        # Untimed: the first request imports every view, the worker's first task its code.
        warm = scratch / "bench-warm.zip"
        with zipfile.ZipFile(warm, "w", zipfile.ZIP_STORED) as bundle:
            for path in make_inputs(scratch, 2, seed=3):
                bundle.write(path, path.name)
        upload_and_ingest(warm, 2, user, secret)
        PHASES.clear()
        for _ in range(args.repeat):
            results["baseline"] = max(results.get("baseline", 0.0), bare_loop(paths, 1))
            ours = upload_and_ingest(archive, len(paths), user, secret)
            results["ours"] = max(results.get("ours", 0.0), ours)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    return {
        "images": len(paths),
        "zip_bytes": archive.stat().st_size,
        "chunk_bytes": UPLOAD_CHUNK,
        "baseline_images_per_s": round(results["baseline"], 1),
        "ours_upload_and_worker_images_per_s": round(results["ours"], 1),
        "ratio_ours_to_baseline": round(results["ours"] / results["baseline"], 3),
        "goal_ratio": 0.8,
        "phases": PHASES,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--parts",
        default="folder",
        help="comma-separated: folder (ingest of a folder), upload, recordings, georaster",
    )
    parser.add_argument("--upload-images", type=int, default=2000)
    parser.add_argument("--recordings", type=int, default=12, help="files of each kind")
    parser.add_argument("--georasters", type=int, default=24, help="GeoTIFFs, half of each kind")
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    scratch = Path(tempfile.mkdtemp(prefix="aquacat-bench-"))
    for variable in ("DATABASE_URL", "S3_BUCKET", "SEARCH_URL"):
        os.environ.pop(variable, None)
    os.environ.update(
        AQUACAT_VAR_DIR=str(scratch / "var"),
        DJANGO_SETTINGS_MODULE="aquacat.settings",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if "recordings" in parts:  # audio and video: bench/ingest_recordings.py
        from bench.ingest_recordings import recordings_part

        recorded = recordings_part(scratch, args.recordings, args.repeat)
        if parts == {"recordings"}:
            print(json.dumps({"benchmark": "ingest", "recordings": recorded}, indent=2))
            return
    if "georaster" in parts:  # GeoTIFF and multiband: bench/ingest_georaster.py
        from bench.ingest_georaster import georaster_part

        placed = georaster_part(scratch, args.georasters, args.repeat)
        if parts == {"georaster"}:
            print(json.dumps({"benchmark": "ingest", "georaster": placed}, indent=2))
            return
    if "upload" in parts:
        try:
            uploaded = upload_part(scratch, args)
        finally:  # its zip, staged copy and stored images take gigabytes
            for name in ("upload-inputs", "bench-upload.zip", "var/media", "var/uploads"):
                path = scratch / name
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        if "folder" not in parts:
            print(json.dumps({"benchmark": "ingest", "upload": uploaded}, indent=2))
            return
    inputs = scratch / "inputs"
    inputs.mkdir()
    paths = make_inputs(inputs, args.images)
    for path in paths:  # into the page cache for both sides
        path.read_bytes()

    results: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, run in (
            ("baseline_1", lambda: bare_loop(paths, 1)),
            ("ours_1", lambda: our_ingest(inputs, len(paths), 1)),
            ("baseline_2", lambda: bare_loop(paths, 2)),
            ("ours_2", lambda: our_ingest(inputs, len(paths), 2)),
        ):
            results[name] = max(results.get(name, 0.0), run())

    size = sum(p.stat().st_size for p in paths) / len(paths)
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "images": len(paths),
                "image_pixels": WIDTH * HEIGHT,
                "mean_file_bytes": round(size),
                "cpus": os.cpu_count(),
                "baseline_images_per_s": round(results["baseline_1"], 1),
                "ours_images_per_s": round(results["ours_1"], 1),
                "ratio_ours_to_baseline": round(results["ours_1"] / results["baseline_1"], 3),
                "baseline_2_workers_images_per_s": round(results["baseline_2"], 1),
                "ours_2_workers_images_per_s": round(results["ours_2"], 1),
                "speedup_ours_2_vs_1": round(results["ours_2"] / results["ours_1"], 3),
                "speedup_baseline_2_vs_1": round(results["baseline_2"] / results["baseline_1"], 3),
                "goals": {"ratio_ours_to_baseline": 0.85, "speedup_ours_2_vs_1": 1.85},
                **({"upload": uploaded} if "upload" in parts else {}),
                **({"recordings": recorded} if "recordings" in parts else {}),
                **({"georaster": placed} if "georaster" in parts else {}),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
