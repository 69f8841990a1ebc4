"""The FAIR completeness of a set: DataCite's mandatory properties, then findability."""

from __future__ import annotations

import datetime

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from curation.completeness import completeness

pytestmark = pytest.mark.django_db


def test_an_empty_set_misses_its_creators_and_everything_recommended(db):
    image_set = services.create_image_set(title="Bare", licence="CC0-1.0", actor=SYSTEM)
    result = completeness(image_set)
    assert [c.key for c in result.missing_mandatory] == ["creators"]
    assert not result.mandatory_complete
    # Identifier, publisher, year and resource type are AquaCat's to fill in.
    automatic = {c.key for c in result.checks if c.automatic}
    assert automatic == {"identifier", "publisher", "publication_year", "resource_type"}
    assert all(c.done for c in result.checks if c.automatic)
    assert {c.key for c in result.missing_recommended} == {
        "description", "keywords", "taxa", "orcids", "bbox", "time", "depth", "instrument",
        "related",
    }  # fmt: skip
    # 5 mandatory of 6 (weight 3), and 1 (licence) of 10 recommended.
    assert result.score == round(100 * (5 * 3 + 1) / (6 * 3 + 10))
    assert result.level == "low"
    for check in result.missing:
        assert check.field  # something to link to


def test_a_full_set_is_complete(db):
    image_set = services.create_image_set(
        title="Full",
        description="Everything.",
        creators=[
            {"name": "Berg, Anna", "orcid": "0000-0002-1825-0097"},
            {"name": "Skagerrak Lab"},  # an organisation needs no ORCID
        ],
        keywords=["copepods"],
        taxa=[{"scientific_name": "Copepoda", "aphia_id": 1080}],
        west=10,
        south=57,
        east=11,
        north=58,
        time_start=datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC),
        depth_min=0,
        depth_max=50,
        instrument="UVP6",
        platform="RV Skagerrak",
        related_identifiers=[
            {"identifier": "10.1/x", "identifier_type": "DOI", "relation_type": "Cites"}
        ],
        actor=SYSTEM,
    )
    result = completeness(image_set)
    assert result.missing == []
    assert result.score == 100
    assert result.level == "high"


def test_partial_answers_count_as_missing():
    image_set = ImageSet(
        title="Partial",
        creators=[{"name": "Berg, Anna"}],  # a person without an ORCID iD
        taxa=[{"scientific_name": "Copepoda"}],  # no AphiaID
        west=1,
        south=2,  # half a box
        instrument="UVP6",  # no platform
    )
    missing = {c.key for c in completeness(image_set).missing}
    assert {"orcids", "taxa", "bbox", "instrument"} <= missing
    assert "creators" not in missing
