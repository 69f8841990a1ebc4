"""The image search page's map in a real browser draws a scene's footprint, not a
point: the Landsat scene as its outline, and the Pacific scene split at the
antimeridian as one shape across it rather than two slivers at the world's edges."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from catalogue import services
from catalogue.access import SYSTEM
from tests.browser.conftest import browser, one_connection_per_request, page  # noqa: F401
from tests.catalogue.conftest import local_storages
from tests.conftest import index_all
from tests.georaster import scenes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services("postgres", "browser")]

# Each drawn polygon's bounds as [west, south, east, north].
DRAWN_POLYGONS = """() => {
  const out = [];
  window.AquaCatSearch.map.eachLayer((layer) => {
    if (layer instanceof L.Polygon && layer.options.interactive !== false && layer.getPopup()) {
      const b = layer.getBounds();
      out.push([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]);
    }
  });
  return out;
}"""


@pytest.fixture
def scenes_published(settings, tmp_path):
    settings.STORAGES = local_storages(tmp_path / "media")
    settings.SEARCH_URL = ""  # the database backend, which index_all fills
    owner = get_user_model().objects.create_user("surveyor")
    image_set = services.create_image_set(
        actor=SYSTEM, owner=owner, title="Landsat and Pacific scenes", modality="sar"
    )
    paths = [scenes.LANDSAT, scenes.across_180(tmp_path / "pacific.tif")]
    batch = services.ingest(image_set, paths, actor=SYSTEM, workers=1)
    assert batch.rejected == []
    services.publish_image_set(image_set, actor=SYSTEM)
    index_all()
    return image_set


def test_the_image_map_draws_each_scenes_footprint(page, scenes_published):  # noqa: F811
    page.goto(page.base + "/images/")
    page.wait_for_selector("#search-map[data-map-ready=true]")
    drawn = sorted(page.evaluate(DRAWN_POLYGONS))
    assert len(drawn) == 2, drawn
    landsat, pacific = drawn
    # The Landsat outline spans its 2.4 degrees (79.0-76.6 W), not a point.
    assert landsat[0] == pytest.approx(-79.0, abs=0.1) and landsat[2] - landsat[0] > 2
    # The Pacific scene is drawn whole from 178.8 E to 179.4 W (180.6 on the map).
    assert 178.5 < pacific[0] < 179.0 and 180.4 < pacific[2] < 180.8
    assert not page.errors
