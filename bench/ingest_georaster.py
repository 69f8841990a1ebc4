"""The `georaster` part of bench/ingest.py: GeoTIFF and multiband ingest against a
bare rasterio loop over the same files, measured in the same run.

    .venv/bin/python bench/ingest.py --parts georaster [--georasters 24] [--repeat 2]

Inputs, made once per run (half of each kind), DEFLATE-compressed GeoTIFFs:
- radar: 2,000 x 2,000 unsigned 16-bit amplitude with single-look speckle, placed
  by a 5 x 5 grid of GCPs over the southern North Sea (tests/georaster/scenes.py);
- multiband: the real Landsat scene of tests/georaster/data/rgb-byte-tenth.tif
  enlarged 20 times (1,580 x 1,420) and widened to 16 bits, three bands in UTM 18N.

- baseline: per file, sha256 of the bytes; rasterio opens it, reads the shown bands
  averaged down to 512 px with their masks, stretches them between the 2nd and
  98th percentiles, takes the four corners to WGS 84 and encodes one 512 px JPEG.
  Nothing else.
- ours: `catalogue.services.ingest` of the folder into a new set, one process, on
  the embedded default: sniffing, limits, the densified footprint, bands, the same
  scaling, two thumbnails, storage of the original and thumbnails, the rows.

Reports files/s and megapixels/s for each, and the ratio of ours to the baseline
(goal at least 0.8).

Large scenes, on their own (no database):

    .venv/bin/python bench/ingest_georaster.py [--width 25000] [--height 16000]

writes one scene of that size (tests/georaster/scenes.py `large_scene`: the Landsat
band tiled, 16-bit, GCPs) without overviews and with them, and reads each as ingest
does (`process_raster`) in a fresh process: seconds, and how far the process's
peak resident memory grew (VmHWM), beside the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from rasterio.enums import Resampling
from rasterio.transform import Affine
from rasterio.warp import transform as warp_points

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.georaster import scenes

ENLARGE = 20


def make_multiband(folder: Path, count: int) -> list[Path]:
    with rasterio.open(scenes.LANDSAT) as source:
        data = source.read()
        profile = source.profile
        transform = source.transform
    big = np.kron(data, np.ones((1, ENLARGE, ENLARGE), dtype=np.uint8)).astype("uint16") * 257
    profile.update(
        width=big.shape[2],
        height=big.shape[1],
        dtype="uint16",
        nodata=0,
        compress="deflate",
        transform=transform * Affine.scale(1 / ENLARGE),
        tiled=True,
        blockxsize=256,
        blockysize=256,
    )
    paths = []
    for index in range(count):
        path = folder / f"landsat_{index:03d}.tif"
        with rasterio.open(path, "w", **profile) as target:
            target.write(np.roll(big, index * 37, axis=2))  # distinct content per file
        paths.append(path)
    return paths


def make_radar(folder: Path, count: int) -> list[Path]:
    return [
        scenes.radar_like(folder / f"grd_{index:03d}.tif", width=2000, height=2000, seed=index)
        for index in range(count)
    ]


def bare_one(path: Path) -> int:
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    with rasterio.open(path) as dataset:
        bands = [1, 2, 3] if dataset.count >= 3 else [1]
        factor = 512 / max(dataset.width, dataset.height)
        shape = (len(bands), round(dataset.height * factor), round(dataset.width * factor))
        read = dataset.read(bands, out_shape=shape, masked=True, resampling=Resampling.average)
        values = np.ma.masked_invalid(read.astype("float64"))
        if dataset.count == 1:
            values = 20 * np.ma.log10(np.ma.masked_less_equal(values, 0))
        shown = np.zeros(values.shape, dtype=np.uint8)
        for index, band in enumerate(values):
            low, high = np.percentile(band.compressed(), [2, 98])
            scale = 255 / (high - low) if high > low else 1.0
            shown[index] = np.clip((band.filled(low) - low) * scale, 0, 255).astype(np.uint8)
        corners = [(0, 0), (dataset.width, 0), (dataset.width, dataset.height), (0, dataset.height)]
        if dataset.gcps[0]:
            gcps, crs = dataset.gcps
            xs, ys = rasterio.transform.xy(gcps, [r for _, r in corners], [c for c, _ in corners])
        else:
            crs = dataset.crs
            xs, ys = rasterio.transform.xy(
                dataset.transform, [r for _, r in corners], [c for c, _ in corners]
            )
        warp_points(crs, "EPSG:4326", list(xs), list(ys))
        pixels = dataset.width * dataset.height
    mode = "L" if len(shown) == 1 else "RGB"
    picture = Image.fromarray(shown[0] if mode == "L" else shown.transpose(1, 2, 0), mode)
    picture.save(io.BytesIO(), "JPEG", quality=85)
    return pixels


def bare_loop(paths: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    pixels = sum(bare_one(path) for path in paths)
    return len(paths) / (time.perf_counter() - started), pixels


def our_ingest(folder: Path, count: int) -> float:
    from catalogue import services
    from catalogue.access import SYSTEM

    image_set = services.create_image_set(title=f"bench georaster {time.time()}", actor=SYSTEM)
    started = time.perf_counter()
    batch = services.ingest(image_set, [folder], workers=1, actor=SYSTEM)
    elapsed = time.perf_counter() - started
    placed = image_set.images.filter(footprint__isnull=False).count()
    if batch.added != count or batch.rejected or placed != count:
        raise SystemExit(f"georaster ingest went wrong: {batch.added} added, {batch.rejected[:3]}")
    return count / elapsed


def georaster_part(scratch: Path, count: int, repeat: int) -> dict:
    folder = scratch / "georaster-inputs"
    folder.mkdir()
    paths = make_radar(folder, count // 2) + make_multiband(folder, count - count // 2)
    for path in paths:  # into the page cache for both sides
        path.read_bytes()
    baseline = ours = 0.0
    pixels = 0
    for _ in range(repeat):
        rate, pixels = bare_loop(paths)
        baseline = max(baseline, rate)
        ours = max(ours, our_ingest(folder, len(paths)))
    megapixels = pixels / len(paths) / 1e6
    return {
        "files": len(paths),
        "mean_megapixels": round(megapixels, 2),
        "mean_file_bytes": round(sum(p.stat().st_size for p in paths) / len(paths)),
        "baseline_files_per_s": round(baseline, 2),
        "ours_files_per_s": round(ours, 2),
        "baseline_megapixels_per_s": round(baseline * megapixels, 1),
        "ours_megapixels_per_s": round(ours * megapixels, 1),
        "ratio_ours_to_baseline": round(ours / baseline, 3),
        "goal": {"ratio_ours_to_baseline": 0.8},
    }


# Run in a fresh process, so that its peak memory is the scene's read alone; VmHWM
# is the peak of the process's own address space (ru_maxrss would carry the
# parent's peak over from before the exec).
MEASURE = """
import json, re, sys, time
import django
django.setup()
from catalogue.ingest import georaster
def peak():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
before = peak()
started = time.perf_counter()
scene = georaster.process_raster(sys.argv[1], "scene.tif", "image/tiff")
seconds = time.perf_counter() - started
print(json.dumps({"seconds": round(seconds, 2), "memory_grown_mib": round((peak() - before) / 1024),
                  "read": scene.raster["read"]}))
"""


def large_scenes(width: int, height: int) -> dict:
    results: dict = {"megapixels": round(width * height / 1e6)}
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aquacat.settings"}
    with tempfile.TemporaryDirectory(prefix="aquacat-large-") as folder:
        for overviews in (False, True):
            path = Path(folder) / f"scene-{overviews}.tif"
            scenes.large_scene(path, width=width, height=height, overviews=overviews)
            load = os.getloadavg()[0]
            run = subprocess.run(
                [sys.executable, "-c", MEASURE, str(path)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            measured = json.loads(run.stdout.strip().splitlines()[-1])
            measured["load_average"] = round(load, 2)
            results["with_overviews" if overviews else "without_overviews"] = measured
            path.unlink()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="large-scene reads (see the docstring)")
    parser.add_argument("--width", type=int, default=25_000)
    parser.add_argument("--height", type=int, default=16_000)
    arguments = parser.parse_args()
    print(json.dumps(large_scenes(arguments.width, arguments.height), indent=2))
