"""A set's area derived from its scenes in the metadata formats: DataCite (checked by
the official XSD and the DataCite JSON schema), DCAT-AP (checked by its SHACL shapes)
and Dublin Core."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from lxml import etree
from rdflib import Graph
from rdflib import namespace as rdfns

from catalogue import geometry, services
from catalogue.access import SYSTEM
from catalogue.formats import datacite, dcat, dublin_core
from tests.catalogue.conftest import local_storages
from tests.fair.test_validators_dcat import shacl_results
from tests.georaster import scenes

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]
DC = {"d": datacite.NAMESPACE}


@pytest.fixture
def make_scenes_set(settings, tmp_path):
    settings.STORAGES = local_storages(tmp_path / "media")
    owner = get_user_model().objects.create_user("surveyor")

    def make(path):
        image_set = services.create_image_set(
            actor=SYSTEM,
            owner=owner,
            title="Scenes",
            modality="sar",
            creators=[{"name": "Doe, Jane"}],
            instrument="Operational Land Imager",
        )
        batch = services.ingest(image_set, [path], actor=SYSTEM, workers=1)
        assert batch.rejected == []
        services.publish_image_set(image_set, actor=SYSTEM)
        image_set.refresh_from_db()
        return image_set

    return make


def geo_location(xml: bytes) -> etree._Element:
    [location] = etree.fromstring(xml).findall("d:geoLocations/d:geoLocation", DC)
    return location


def box_of(location: etree._Element) -> tuple[float, ...]:
    sides = ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude")
    return tuple(
        float(location.findtext(f"d:geoLocationBox/d:{side}", namespaces=DC))
        for side in (*sides, "northBoundLatitude")
    )


def test_datacite_of_the_landsat_set_is_valid_and_holds_box_and_polygon(make_scenes_set):
    image_set = make_scenes_set(scenes.LANDSAT)
    xml = datacite.to_xml(image_set)
    assert datacite.xml_errors(xml) == []
    assert datacite.json_errors(datacite.to_json(image_set)) == []
    location = geo_location(xml)
    footprint = image_set.images.get().footprint
    bounds = geometry.polygons_bounds(geometry.polygon_parts(footprint))
    assert box_of(location) == pytest.approx(bounds)
    points = [
        (
            float(p.findtext("d:pointLongitude", namespaces=DC)),
            float(p.findtext("d:pointLatitude", namespaces=DC)),
        )
        for p in location.findall("d:geoLocationPolygon/d:polygonPoint", DC)
    ]
    assert len(points) >= 4 and points[0] == points[-1]
    assert geometry.ring_bounds(points) == pytest.approx(bounds)


def test_datacite_of_a_scene_across_the_antimeridian_is_valid_with_west_past_east(
    make_scenes_set, tmp_path
):
    image_set = make_scenes_set(scenes.across_180(tmp_path / "pacific.tif"))
    xml = datacite.to_xml(image_set)
    assert datacite.xml_errors(xml) == []
    location = geo_location(xml)
    west, _, east, _ = box_of(location)
    assert 178.5 < west < 179.0 and -179.6 < east < -179.2
    assert location.find("d:geoLocationPolygon", DC) is None


def test_dcat_carries_the_box_and_outline_and_meets_the_shapes(make_scenes_set, tmp_path):
    landsat = dcat.to_graph(make_scenes_set(scenes.LANDSAT))
    assert shacl_results(landsat) == []
    [landsat_box] = [str(o) for o in landsat.objects(None, rdfns.DCAT.bbox)]
    assert landsat_box.startswith("POLYGON((-")
    pacific_set = make_scenes_set(scenes.across_180(tmp_path / "pacific.tif"))
    pacific = Graph().parse(data=dcat.to_turtle(pacific_set), format="turtle")
    assert shacl_results(pacific) == []
    [pacific_box] = [str(o) for o in pacific.objects(None, rdfns.DCAT.bbox)]
    # Two halves that meet at the antimeridian, not one ring round the globe.
    assert pacific_box.startswith("MULTIPOLYGON(((")
    assert f"{pacific_set.west} " in pacific_box and "180.0 " in pacific_box
    assert "-180.0 " in pacific_box and f"{pacific_set.east} " in pacific_box


def test_dublin_core_states_the_derived_box(make_scenes_set):
    image_set = make_scenes_set(scenes.LANDSAT)
    coverage = [value for name, value in dublin_core.elements(image_set) if name == "coverage"]
    assert f"westlimit={image_set.west}; southlimit={image_set.south}; " in coverage[0]
