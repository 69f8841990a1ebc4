"""A scene's footprint, bands and scaling as the API and the landing page show them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from lxml import etree

from catalogue import services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import local_storages
from tests.georaster import scenes

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]


@pytest.fixture
def published(settings, tmp_path):
    settings.STORAGES = local_storages(tmp_path / "media")
    owner = get_user_model().objects.create_user("surveyor")
    image_set = services.create_image_set(actor=SYSTEM, owner=owner, title="Radar over the Bight")
    services.ingest(image_set, [scenes.radar_like(tmp_path / "grd-vv.tif")], actor=SYSTEM)
    return services.publish_image_set(image_set, actor=SYSTEM)


def test_the_api_gives_the_footprint_and_the_raster_description(client, published):
    image = published.images.get()
    body = client.get(f"/api/v1/images/{image.pk}/").json()
    assert body["footprint"]["type"] == "Polygon"
    assert body["footprint"] == image.footprint
    assert body["raster"]["georeferencing"] == "gcps"
    assert body["raster"]["scaling"]["method"] == "decibel-percentile"
    assert body["raster"]["bands"][0]["description"] == "Amplitude_VV"
    assert (round(body["latitude"], 2), round(body["longitude"], 2)) == (53.25, 3.5)
    listed = client.get(f"/api/v1/images/?image_set={published.pk}").json()
    assert "footprint" not in listed["results"][0]  # the list stays light


def test_the_lightbox_says_where_the_scene_lies_and_how_it_is_shown(client, published):
    response = client.get(f"/sets/{published.uuid}/")
    html = etree.HTML(response.content)
    (item,) = json.loads(html.find(".//script[@id='landing-gallery-data']").text)
    facts = dict(item["raster"])
    assert facts["Footprint"] == "52.500° N to 54.000° N, 2.500° E to 4.500° E"
    assert facts["Bands"] == "1 x uint16: Amplitude_VV"
    assert facts["Thumbnail"] == "in decibels, stretched between percentiles 2 and 98"
    assert facts["CRS"] == "EPSG:4326"  # the GCPs' CRS
    assert facts["Read"] == "averaged from full resolution to 400 x 300 px"  # no overviews
