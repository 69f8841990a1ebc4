"""One raster read, checked and scaled (catalogue.ingest.georaster), without a database."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from PIL import Image

from catalogue.ingest import georaster
from catalogue.ingest.errors import IngestError
from tests.georaster import scenes


def test_single_look_complex_radar_is_shown_by_its_amplitude_in_decibels(tmp_path):
    path = scenes.single_look(tmp_path / "slc.tif")
    scene = georaster.process_raster(str(path), "slc.tif", "image/tiff")
    assert scene.mode == "1xcomplex_int16"
    assert scene.raster["scaling"]["method"] == "decibel-percentile"
    ((low, high),) = scene.raster["scaling"]["limits"]
    # |I + jQ| with I, Q ~ N(0, 300) is Rayleigh: its 2nd percentile is about 60
    # (35.6 dB), its 98th about 840 (58.5 dB). The real part alone would reach far lower.
    assert 34 < low < 37 and 57 < high < 60


def test_a_cube_past_the_sample_limit_is_refused_before_reading(tmp_path, settings):
    path = tmp_path / "cube.tif"
    profile = {"driver": "GTiff", "width": 100, "height": 100, "count": 5, "dtype": "uint16"}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.ones((5, 100, 100), dtype="uint16"))
    settings.GEORASTER_MAX_PIXELS = 12_500  # 4 x 12,500 = 50,000 samples: all five bands
    assert georaster.process_raster(str(path), "cube.tif", "image/tiff").mode == "5xuint16"
    settings.GEORASTER_MAX_PIXELS = 10_000
    with pytest.raises(IngestError) as refused:
        georaster.process_raster(str(path), "cube.tif", "image/tiff")
    assert str(refused.value) == (
        "cube.tif: refused: 50,000 samples of 5 bands, over the limit of 40,000"
    )


def test_a_plain_photograph_tiff_stays_with_pillow(tmp_path):
    path = tmp_path / "plain.tif"
    Image.new("RGB", (20, 10), (10, 80, 120)).save(path)
    assert georaster.process_raster(str(path), "plain.tif", "image/tiff") is None
    assert georaster.process_raster(str(scenes.LANDSAT), "a.jpg", "image/jpeg") is None


def test_a_truncated_geotiff_is_refused_when_its_pixels_are_read(tmp_path):
    truncated = scenes.truncated(tmp_path / "cut.tif")  # its tags whole, its strips cut
    with pytest.raises(IngestError, match=r"^cut.tif: corrupt or truncated raster: "):
        georaster.process_raster(str(truncated), "cut.tif", "image/tiff")
