"""Large scenes read at thumbnail size: from their own overviews when they have
them, else averaged down block by block in bounded memory (no database)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
import rasterio
from PIL import Image

from catalogue.ingest import georaster
from catalogue.ingest.errors import IngestError
from catalogue.ingest.georaster import decimated
from tests.georaster import scenes

WIDTH, HEIGHT = 6000, 4000  # 24 megapixels: thumbnails reduce it about twelve times


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The same tiled Landsat scene with internal overviews and without."""
    folder = tmp_path_factory.mktemp("large")
    with_overviews = scenes.large_scene(
        folder / "with.tif", width=WIDTH, height=HEIGHT, overviews=True
    )
    without = scenes.large_scene(
        folder / "without.tif", width=WIDTH, height=HEIGHT, overviews=False
    )
    return with_overviews, without


def ingest_raster(path):
    return georaster.process_raster(str(path), path.name, "image/tiff")


def test_a_scene_with_overviews_is_read_from_the_finest_one_that_suffices(pair):
    with_overviews, without = pair
    reduced, full = ingest_raster(with_overviews), ingest_raster(without)
    # 6,000 px to 512: a reduction of 11.7; the overviews reduce 2, 4, 8 and 16 times.
    assert reduced.raster["read"] == {
        "from": "overview",
        "overviews": [2, 4, 8, 16],
        "overview_factor": 8,
        "full_resolution_decoded": True,  # under FULL_CHECK_MAX_PIXELS: proved whole
        "resampling": "average",
        "shape": [341, 512],
    }
    assert full.raster["read"] == {
        "from": "full resolution",
        "full_resolution_decoded": True,
        "resampling": "average",
        "shape": [341, 512],
    }
    # The stretch is taken on the reduced read either way, and comes out alike (both
    # are averages, over 8 x 1.46 pixels or over 11.7: within a tenth of the span).
    (low, high), (full_low, full_high) = (
        reduced.raster["scaling"]["limits"][0],
        full.raster["scaling"]["limits"][0],
    )
    span = full_high - full_low  # about 23 dB
    assert abs(low - full_low) < span / 10 and abs(high - full_high) < span / 10
    assert reduced.raster["scaling"]["method"] == "decibel-percentile"
    for scene in (reduced, full):
        assert Image.open(io.BytesIO(scene.thumbnails["medium"])).size == (512, 341)
        assert (scene.width, scene.height) == (WIDTH, HEIGHT)


def corrupt_first_tile(path, target):
    """A copy of `path` whose first full-resolution tile is garbage (its overviews whole)."""
    with rasterio.open(path) as dataset:
        offset = int(dataset.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1))
        size = int(dataset.get_tag_item("BLOCK_SIZE_0_0", "TIFF", bidx=1))
    data = bytearray(path.read_bytes())
    data[offset : offset + size] = bytes(range(256)) * (size // 256) + bytes(size % 256)
    target.write_bytes(bytes(data))
    return target


def test_past_the_check_bound_the_full_resolution_is_not_decoded(pair, tmp_path, monkeypatch):
    broken = corrupt_first_tile(pair[0], tmp_path / "broken.tif")
    with pytest.raises(IngestError, match=r"^broken.tif: corrupt or truncated raster"):
        ingest_raster(broken)  # small enough to be proved whole: the bad tile is found
    monkeypatch.setattr(decimated, "FULL_CHECK_MAX_PIXELS", WIDTH * HEIGHT - 1)
    scene = ingest_raster(broken)  # only the overviews were decoded
    assert scene.raster["read"]["from"] == "overview"
    assert scene.raster["read"]["full_resolution_decoded"] is False


def test_the_real_sentinel1_scene_is_averaged_down_without_overviews():
    scene = ingest_raster(scenes.SENTINEL1_FULL_CLAIM)
    assert (scene.width, scene.height) == (25788, 16685)  # 430 megapixels
    assert scene.raster["read"] == {
        "from": "full resolution",
        "full_resolution_decoded": True,
        "resampling": "average",
        "shape": [331, 512],
    }
    assert Image.open(io.BytesIO(scene.thumbnails["medium"])).size == (512, 331)


# The peak resident memory of the process's own address space (VmHWM: ru_maxrss
# would carry the parent's peak over from before the exec).
MEASURE = """
import json, re, sys
import django
django.setup()
from catalogue.ingest import georaster
def peak():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
before = peak()
georaster.process_raster(sys.argv[1], "scene.tif", "image/tiff")
print(json.dumps({"grown_kib": peak() - before}))
"""


def test_a_430_megapixel_scene_is_read_in_bounded_memory():
    """The real scene decodes to 860 MB of samples; GDAL's default block cache kept
    about that much (905 MiB peak); bounded, the process grows by tens of MiB."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aquacat.settings"}
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(scenes.SENTINEL1_FULL_CLAIM)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    grown_mib = json.loads(run.stdout.strip().splitlines()[-1])["grown_kib"] / 1024
    assert grown_mib < 200
