"""A scene's footprint found by a bounding-box search on every backend: the
database (PostgreSQL), OpenSearch and Elasticsearch."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.search.documents import documents
from catalogue.search.query import SearchQuery
from catalogue.selectors import search_visibility
from tests.catalogue.conftest import local_storages
from tests.georaster import scenes
from tests.search.conftest import drop_backend, make_backend

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]

BACKENDS = [
    pytest.param("database", id="database"),
    pytest.param("opensearch", id="opensearch", marks=pytest.mark.services("opensearch")),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.services("elasticsearch")),
]

# Boxes as [west, south, east, north].
EXUMA_SOUND = (-77.6, 24.2, -77.3, 24.6)  # inside the Landsat scene, off the Bahamas
GULF_OF_MEXICO = (-92.0, 24.0, -88.0, 27.0)
STRAITS_OF_FLORIDA = (-80.3, 24.0, -79.1, 25.0)  # just west of the scene
# Within the box around the scene but outside its footprint: the UTM grid is turned
# against the meridians, so the box's south-west corner is not covered.
BOX_CORNER_ONLY = (-78.958, 23.566, -78.91, 23.61)
SOUTHERN_BIGHT = (3.0, 52.8, 3.4, 53.2)  # North Sea, under the radar-like scene
BAY_OF_BISCAY = (-6.0, 44.0, -2.0, 47.0)
FIJI_EAST = (-179.9, 8.5, -179.5, 9.5)  # east of 180, where the Pacific scene ends
FIJI_WEST = (178.9, 8.5, 179.5, 9.5)  # west of 180, where it begins
NEAR_THE_POLE = [(-10.0, 88.0, 10.0, 89.0), (170.0, 87.0, 179.0, 88.0), (-100.0, 86.0, -80.0, 87.0)]
FRAM_STRAIT = (-5.0, 78.0, 5.0, 80.0)  # south of the polar scene


@pytest.fixture
def scenes_set(settings, tmp_path):
    settings.STORAGES = local_storages(tmp_path / "media")
    owner = get_user_model().objects.create_user("surveyor")
    image_set = services.create_image_set(
        actor=SYSTEM, owner=owner, title="Coastal and open-sea scenes", modality="sar"
    )
    batch = services.ingest(
        image_set,
        [
            scenes.LANDSAT,
            scenes.radar_like(tmp_path / "grd-vv.tif"),
            scenes.across_180(tmp_path / "pacific.tif"),
            scenes.over_the_pole(tmp_path / "arctic.tif"),
        ],
        actor=SYSTEM,
        workers=1,
    )
    assert batch.rejected == []
    services.publish_image_set(image_set, actor=SYSTEM)
    return {image.file_name: image.pk for image in image_set.images.all()}


@pytest.fixture(params=BACKENDS)
def backend(request, scenes_set):
    backend = make_backend(request.param)
    backend.setup()
    assert backend.index("image", list(documents("image", list(scenes_set.values())))) == []
    backend.refresh()
    yield backend
    drop_backend(backend)


def found(backend, bbox) -> list[int]:
    query = SearchQuery(kind="image", bbox=bbox).validate()
    return sorted(backend.search(query, search_visibility(None)).ids())


def test_a_scene_is_found_by_the_sea_it_covers(backend, scenes_set):
    assert found(backend, EXUMA_SOUND) == [scenes_set["rgb-byte-tenth.tif"]]
    assert found(backend, SOUTHERN_BIGHT) == [scenes_set["grd-vv.tif"]]
    assert found(backend, GULF_OF_MEXICO) == []
    assert found(backend, STRAITS_OF_FLORIDA) == []
    assert found(backend, BOX_CORNER_ONLY) == []
    assert found(backend, BAY_OF_BISCAY) == []


def test_a_scene_across_the_antimeridian_is_found_on_both_sides(backend, scenes_set):
    assert found(backend, FIJI_EAST) == [scenes_set["pacific.tif"]]
    assert found(backend, FIJI_WEST) == [scenes_set["pacific.tif"]]


def test_a_scene_round_the_pole_is_found_all_round_it(backend, scenes_set):
    for box in NEAR_THE_POLE:
        assert found(backend, box) == [scenes_set["arctic.tif"]], box
    assert found(backend, FRAM_STRAIT) == []
