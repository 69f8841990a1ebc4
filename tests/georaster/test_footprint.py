"""Footprints of real and composed rasters, read through rasterio (no database)."""

from __future__ import annotations

import numpy as np
import rasterio
import shapely
from shapely.geometry import shape

from catalogue import geometry
from catalogue.ingest.georaster.footprint import footprint
from tests.georaster import scenes


def read(path):
    with rasterio.open(path) as dataset:
        return footprint(dataset)


def test_a_landsat_scene_covers_the_bahamas_banks_not_florida():
    found = read(scenes.LANDSAT)
    assert found.method == "transform"
    outline = shape(found.geojson)
    west, south, east, north = outline.bounds
    assert (round(west, 1), round(south, 1), round(east, 1), round(north, 1)) == (
        -79.0,
        23.6,
        -76.6,
        25.6,
    )
    assert outline.contains(shapely.Point(-77.5, 24.5))  # Exuma Sound
    assert not outline.intersects(shapely.Point(-80.2, 25.8))  # Miami
    # Densified edges: a UTM grid's edges are curves in longitude and latitude.
    assert len(found.geojson["coordinates"][0]) > 40
    lon, lat = found.centre
    assert outline.contains(shapely.Point(lon, lat))


def test_outer_rings_are_counterclockwise_and_closed():
    ring = read(scenes.LANDSAT).geojson["coordinates"][0]
    assert ring[0] == ring[-1]
    assert geometry.signed_area(ring) > 0


def test_gcps_place_a_radar_scene(tmp_path):
    found = read(scenes.radar_like(tmp_path / "radar.tif"))
    assert found.method == "gcps"
    bounds = shape(found.geojson).bounds
    expected = scenes.NORTH_SEA
    assert [round(v, 3) for v in bounds] == [
        expected["west"],
        expected["south"],
        expected["east"],
        expected["north"],
    ]


def test_a_scene_across_the_antimeridian_is_split_there(tmp_path):
    found = read(scenes.across_180(tmp_path / "pacific.tif"))
    assert found.geojson["type"] == "MultiPolygon"
    parts = [shapely.Polygon(rings[0]) for rings in found.geojson["coordinates"]]
    sides = sorted(part.bounds for part in parts)
    assert sides[0][0] == -180.0 and round(sides[0][2], 1) == -179.4
    assert round(sides[1][0], 1) == 178.8 and sides[1][2] == 180.0
    assert all(-180 <= lon <= 180 for lon, _ in found.geojson["coordinates"][0][0])
    lon, _ = found.centre
    assert lon > 179.0 or lon < -179.0


def test_a_raster_without_georeferencing_has_no_footprint(tmp_path):
    path = tmp_path / "plain.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=4, height=4, count=2, dtype="uint16"
    ) as dataset:
        dataset.write(np.ones((2, 4, 4), dtype="uint16"))
    with rasterio.open(path) as dataset:
        assert footprint(dataset) is None


def test_rpcs_place_a_scene_by_their_own_model(tmp_path):
    found = read(scenes.with_rpcs(tmp_path / "rpc.tif"))
    assert found.method == "rpcs"
    west, south, east, north = shape(found.geojson).bounds
    # The RPCs' own frame: centred near 49.22 N, 123.18 W (Strait of Georgia).
    assert -123.6 < west < east < -123.3 and 49.4 < south < north < 49.6


def test_a_scene_round_the_pole_covers_the_pole_and_every_longitude(tmp_path):
    found = read(scenes.over_the_pole(tmp_path / "arctic.tif"))
    outline = shape(found.geojson)
    assert outline.bounds[0] == -180.0 and outline.bounds[2] == 180.0
    assert outline.bounds[3] == 90.0
    assert 83.0 < outline.bounds[1] < 84.0  # its corners, 707 km from the pole: about 83.5 N
    for lon in (-179.0, -90.0, 0.0, 90.0, 179.0):
        assert outline.contains(shapely.Point(lon, 89.0))
    assert not outline.intersects(shapely.Point(0.0, 80.0))
