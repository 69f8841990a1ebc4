"""Georeferenced and multiband TIFFs through the ingest pipeline, into rows."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from PIL import Image as Picture

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image
from tests.catalogue.conftest import local_storages, real_jpegs
from tests.georaster import scenes

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]


@pytest.fixture
def image_set(settings, tmp_path):
    settings.STORAGES = local_storages(tmp_path / "media")
    owner = get_user_model().objects.create_user("geo")
    return services.create_image_set(actor=SYSTEM, owner=owner, title="Scenes", modality="sar")


def ingest(image_set, *paths):
    batch = services.ingest(image_set, list(paths), actor=SYSTEM, workers=1)
    return batch, {image.file_name: image for image in image_set.images.all()}


def test_a_landsat_geotiff_gets_its_footprint_centre_and_bands(image_set):
    batch, images = ingest(image_set, scenes.LANDSAT)
    assert batch.rejected == []
    scene = images["rgb-byte-tenth.tif"]
    assert scene.footprint["type"] == "Polygon"
    assert (scene.width, scene.height, scene.mode) == (79, 71, "3xuint8")
    assert 24.4 < scene.latitude < 24.7 and -77.9 < scene.longitude < -77.6
    assert scene.raster["georeferencing"] == "transform"
    assert [band["colour"] for band in scene.raster["bands"]] == ["red", "green", "blue"]
    assert [band["nodata"] for band in scene.raster["bands"]] == [0.0, 0.0, 0.0]
    assert scene.raster["scaling"] == {"method": "none", "bands": [1, 2, 3]}
    with default_storage.open(scene.thumbnail_small) as stream:
        assert Picture.open(stream).mode == "RGB"
    image_set.refresh_from_db()  # the set's coverage follows its images' positions
    assert image_set.west is not None


def test_a_16_bit_radar_scene_is_shown_in_decibels_and_the_scaling_recorded(image_set, tmp_path):
    path = scenes.radar_like(tmp_path / "grd-vv.tif")
    batch, images = ingest(image_set, path)
    assert batch.rejected == []
    scene = images["grd-vv.tif"]
    scaling = scene.raster["scaling"]
    assert scaling["method"] == "decibel-percentile"
    assert scaling["percentiles"] == [2.0, 98.0]
    ((low, high),) = scaling["limits"]
    # Amplitudes of 8 (the slick) to 400 (rough sea), speckled: about 10 dB to 60 dB.
    assert 5 < low < 35 < high < 65
    assert scene.raster["bands"][0]["description"] == "Amplitude_VV"
    assert scene.raster["georeferencing"] == "gcps" and scene.raster["gcp_count"] == 25
    assert scene.mode == "I;16"
    assert scene.captured_at.isoformat() == "2021-04-01T05:26:23+00:00"
    with default_storage.open(scene.thumbnail_medium) as stream:
        thumbnail = Picture.open(stream)
        thumbnail.load()
    assert thumbnail.mode == "L" and max(thumbnail.size) == 400
    # The slick is dark and the rough half bright: the stretch kept the contrast.
    pixels = np.asarray(thumbnail, dtype=float)
    slick, calm, rough = pixels[105:135, 60:180], pixels[200:290, 20:190], pixels[200:290, 210:390]
    assert slick.mean() + 40 < calm.mean() < rough.mean() - 40


def test_a_16_bit_multiband_scene_is_stretched_per_band(image_set):
    batch, images = ingest(image_set, scenes.UINT16_RGBA)
    assert batch.rejected == []
    scene = images["RGBA.uint16.tif"]
    assert scene.mode == "4xuint16"
    scaling = scene.raster["scaling"]
    assert scaling["method"] == "percentile" and scaling["bands"] == [3, 2, 1]
    assert len(scaling["limits"]) == 3
    with rasterio.open(scenes.UINT16_RGBA) as dataset:
        red = dataset.read(3)
    assert red.min() <= scaling["limits"][0][0] <= scaling["limits"][0][1] <= red.max()


def test_hostile_rasters_are_refused_naming_the_file_and_why(image_set, tmp_path):
    huge = scenes.huge_claim(tmp_path / "claims-100k.tif")
    gcps = scenes.many_gcps(tmp_path / "gcp-flood.tif")
    cut = scenes.truncated(tmp_path / "cut.tif")
    batch, images = ingest(image_set, huge, gcps, cut, scenes.CORRUPT, real_jpegs(1)[0])
    reasons = {entry["name"]: entry["reason"] for entry in batch.rejected}
    assert reasons["claims-100k.tif"] == (
        "refused: 100000x100000 = 10,000,000,000 pixels, over the limit of 1,000,000,000"
    )
    assert "5,000 ground control points, over the limit of 2,500" in reasons["gcp-flood.tif"]
    assert reasons["corrupt.tif"].startswith("corrupt or truncated raster")
    assert reasons["cut.tif"].startswith("corrupt or truncated")
    # The good file of the batch came in; nothing of the refused ones was left.
    assert list(images) == [real_jpegs(1)[0].name]
    assert Image.objects.filter(footprint__isnull=False).count() == 0


@pytest.mark.django_db(transaction=True)  # the pipeline closes connections before forking
def test_scenes_come_in_through_worker_processes_too(image_set, tmp_path):
    radar = scenes.radar_like(tmp_path / "grd-vv.tif")
    batch = services.ingest(
        image_set, [scenes.LANDSAT, radar, scenes.UINT16_RGBA], actor=SYSTEM, workers=2
    )
    assert batch.rejected == [] and batch.added == 3
    assert image_set.images.filter(footprint__isnull=False).count() == 3


def test_a_scene_with_overviews_records_how_its_thumbnail_was_read(image_set, tmp_path):
    path = scenes.large_scene(tmp_path / "grd-tiled.tif", width=3000, height=2000, overviews=True)
    batch, images = ingest(image_set, path)
    assert batch.rejected == []
    scene = images["grd-tiled.tif"]
    assert scene.raster["read"]["from"] == "overview"
    assert scene.raster["read"]["overview_factor"] == 4  # 3,000 px to 512: 5.9 times
    assert scene.footprint["type"] == "Polygon" and scene.raster["georeferencing"] == "gcps"
