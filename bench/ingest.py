"""Ingest throughput against a bare decode-and-hash loop, measured in the same run.

    .venv/bin/python bench/ingest.py [--images 200] [--repeat 2]

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
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

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
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
