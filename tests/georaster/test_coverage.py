"""A set's area derived from its scenes' footprints, not only their centres: the box
around the footprints (the shortest in longitude, so a scene across the antimeridian
does not give a box round the globe) and the outline around them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from catalogue import geometry, services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import local_storages
from tests.georaster import scenes

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]


@pytest.fixture
def make_scenes_set(settings, tmp_path):
    settings.STORAGES = local_storages(tmp_path / "media")
    owner = get_user_model().objects.create_user("surveyor")

    def make(*paths, **fields):
        image_set = services.create_image_set(
            actor=SYSTEM, owner=owner, title="Scenes", modality="sar", **fields
        )
        batch = services.ingest(image_set, list(paths), actor=SYSTEM, workers=1)
        assert batch.rejected == []
        image_set.refresh_from_db()
        return image_set

    return make


def box(image_set) -> tuple:
    return image_set.west, image_set.south, image_set.east, image_set.north


def footprint_bounds(image) -> tuple:
    return geometry.polygons_bounds(geometry.polygon_parts(image.footprint))


def test_the_landsat_scene_gives_its_footprints_bounds_and_outline(make_scenes_set):
    image_set = make_scenes_set(scenes.LANDSAT)
    scene = image_set.images.get()
    west, south, east, north = footprint_bounds(scene)
    assert box(image_set) == (west, south, east, north)
    # About 2.4 degrees of longitude and 2 of latitude, not the centre's point.
    assert east - west > 2 and north - south > 1.5
    assert "bbox" in image_set.derived_coverage
    # The outline holds every corner of the footprint and lies within the box.
    outline = image_set.polygon
    assert geometry.is_polygon(outline)
    ring = geometry.outer_ring(outline)
    assert geometry.ring_bounds(ring) == (west, south, east, north)
    footprint_ring = geometry.outer_ring(scene.footprint)
    assert all(geometry.point_in_ring(point, ring) for point in footprint_ring)


def test_a_scene_across_the_antimeridian_gives_a_box_that_crosses_it(make_scenes_set, tmp_path):
    image_set = make_scenes_set(scenes.across_180(tmp_path / "pacific.tif"))
    west, south, east, north = box(image_set)
    # West of the antimeridian at 178.8 E, east of it at 179.4 W: about 1.8 degrees
    # wide, not the 358 degrees of a box from 179.4 W eastwards to 178.8 E.
    assert 178.5 < west < 179.0 and -179.6 < east < -179.2
    assert 8 < south < north < 10.5
    assert (east + 360) - west < 2.5
    # A GeoJSON polygon cannot cross the antimeridian: the box alone says where.
    assert image_set.polygon is None
    parts = geometry.split_antimeridian(box(image_set))
    assert [(part[0], part[2]) for part in parts] == [(west, 180.0), (-180.0, east)]


def test_the_area_grows_with_new_scenes_and_follows_positions_too(make_scenes_set, tmp_path):
    image_set = make_scenes_set(scenes.LANDSAT)
    landsat = footprint_bounds(image_set.images.get())
    services.ingest(
        image_set, [scenes.radar_like(tmp_path / "grd-vv.tif")], actor=SYSTEM, workers=1
    )
    image_set.refresh_from_db()
    north_sea = scenes.NORTH_SEA
    assert box(image_set) == pytest.approx(
        (landsat[0], landsat[1], north_sea["east"], north_sea["north"])
    )
    ring = geometry.outer_ring(image_set.polygon)
    assert geometry.point_in_ring((3.5, 53.0), ring)  # under the radar scene
    assert geometry.point_in_ring((-77.5, 24.5), ring)  # under the Landsat scene


def test_a_stated_outline_is_the_curators_and_is_kept(make_scenes_set):
    stated = {
        "type": "Polygon",
        "coordinates": [[[-78.0, 24.0], [-77.0, 24.0], [-77.0, 25.0], [-78.0, 24.0]]],
    }
    image_set = make_scenes_set(scenes.LANDSAT, polygon=stated)
    assert image_set.polygon == stated
    assert "bbox" not in image_set.derived_coverage
    derived = make_scenes_set(scenes.LANDSAT)
    services.update_image_set(derived, polygon=stated, actor=SYSTEM)
    derived.refresh_from_db()
    assert derived.polygon == stated
    assert "bbox" not in derived.derived_coverage
