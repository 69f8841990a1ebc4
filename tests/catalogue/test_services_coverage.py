"""catalogue.services.coverage: a set's coverage derived from its images, and its empty
fields filled from a sidecar header, with what the set states always kept."""

from datetime import UTC, datetime

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.services.coverage import apply_set_metadata, refresh_coverage
from catalogue.services.images import add_images
from catalogue.vocabularies import nvs
from tests.catalogue.ingest_samples import image_row

pytestmark = pytest.mark.django_db


def test_coverage_is_derived_where_the_set_states_none():
    image_set = services.create_image_set(
        title="Stated bbox", west=1.0, south=50.0, east=2.0, north=51.0, actor=SYSTEM
    )
    add_images(
        [
            image_row(
                image_set,
                number,
                latitude=latitude,
                longitude=longitude,
                depth=depth,
                captured_at=datetime(2022, 8, day, 12, tzinfo=UTC),
            )
            for number, latitude, longitude, depth, day in (
                (1, 54.0, 7.0, 5.0, 1),
                (2, 55.0, 8.0, 25.0, 3),
            )
        ]
    )
    refresh_coverage(image_set)
    image_set.refresh_from_db()
    assert (image_set.west, image_set.south, image_set.east, image_set.north) == (1, 50, 2, 51)
    assert (image_set.depth_min, image_set.depth_max) == (5.0, 25.0)
    assert image_set.time_start == datetime(2022, 8, 1, 12, tzinfo=UTC)
    assert image_set.time_end == datetime(2022, 8, 3, 12, tzinfo=UTC)
    assert image_set.derived_coverage == ["depth", "time"]


def test_derived_coverage_follows_new_images_and_missing_values_derive_nothing():
    image_set = services.create_image_set(title="Derived", actor=SYSTEM)
    add_images([image_row(image_set, 1, latitude=54.0, longitude=7.0)])
    refresh_coverage(image_set)
    assert image_set.derived_coverage == ["bbox"]
    assert (image_set.depth_min, image_set.time_start) == (None, None)
    add_images([image_row(image_set, 2, latitude=56.0, longitude=9.0)])
    refresh_coverage(image_set)
    image_set.refresh_from_db()
    assert (image_set.west, image_set.south, image_set.east, image_set.north) == (7, 54, 9, 56)


def test_sidecar_header_fills_only_empty_fields():
    image_set = services.create_image_set(title="Stated title", actor=SYSTEM)
    apply_set_metadata(
        image_set,
        {
            "title": "Header title",
            "description": "From the header.",
            "platform": {"name": "ROV Genesis", "uri": "https://example.org/rov"},
            "instrument": "FlowCam 8400",
            "creators": [
                {"name": "Jane Doe", "orcid": "0000-0001-5109-3700", "uri": "https://x.org"},
                {"name": "Wout Decrop", "orcid": None},
            ],
            "extra": {"ignored": True},
        },
    )
    image_set.refresh_from_db()
    assert image_set.title == "Stated title"
    assert image_set.description == "From the header."
    assert (image_set.platform, image_set.instrument) == ("ROV Genesis", "FlowCam 8400")
    assert (image_set.platform_uri, image_set.instrument_uri) == ("", "")  # no NVS terms
    assert image_set.creators == [
        {"name": "Jane Doe", "orcid": "0000-0001-5109-3700"},
        {"name": "Wout Decrop"},
    ]


RESEARCH_VESSEL = "http://vocab.nerc.ac.uk/collection/L06/current/31/"
FLOWCAM_VS = "http://vocab.nerc.ac.uk/collection/L22/current/TOOL1583/"


def test_a_header_brings_the_nvs_terms_of_the_platform_and_instrument_it_names():
    image_set = services.create_image_set(title="Terms", actor=SYSTEM)
    apply_set_metadata(
        image_set,
        {
            "platform": {"name": "RV Belgica", "uri": RESEARCH_VESSEL.replace("http:", "https:")},
            # A v1 bare name that is exactly a term's label (any case) brings its URI.
            "instrument": nvs.label(FLOWCAM_VS).upper(),
        },
    )
    image_set.refresh_from_db()
    assert (image_set.platform, image_set.platform_uri) == ("RV Belgica", RESEARCH_VESSEL)
    assert image_set.instrument_uri == FLOWCAM_VS

    stated = services.create_image_set(
        title="Stated", platform="Research vessel Simon Stevin", actor=SYSTEM
    )
    apply_set_metadata(
        stated,
        {
            "platform": {"name": "RV Belgica", "uri": RESEARCH_VESSEL},
            "instrument": {
                "name": "FlowCam",
                "uri": "https://vocab.nerc.ac.uk/collection/L06/current/31/",
            },
        },
    )
    stated.refresh_from_db()
    # The set names another platform: neither its name nor a term is taken over;
    # an instrument whose uri is a platform term keeps its name alone.
    assert (stated.platform, stated.platform_uri) == ("Research vessel Simon Stevin", "")
    assert (stated.instrument, stated.instrument_uri) == ("FlowCam", "")


def test_unknown_licence_in_a_header_is_ignored():
    image_set = services.create_image_set(title="Licence", actor=SYSTEM)
    image_set.licence = ""  # as if the set stated none
    apply_set_metadata(image_set, {"licence": "NOT-A-LICENCE"})
    assert image_set.licence == ""
