"""Image set rules: field validation and the constraints the database enforces."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from catalogue.services import create_image_set, update_image_set
from catalogue.vocabularies import normalise_orcid, orcid_checksum_ok

pytestmark = pytest.mark.django_db


def test_orcid_checksum():
    assert orcid_checksum_ok("0000-0002-1825-0097")
    assert orcid_checksum_ok("0000-0002-1694-233X")
    assert not orcid_checksum_ok("0000-0002-1825-0098")
    assert normalise_orcid("https://orcid.org/0000-0002-1825-0097") == "0000-0002-1825-0097"


def test_creator_with_bad_orcid_names_the_field():
    with pytest.raises(ValidationError) as caught:
        create_image_set(
            title="x", creators=[{"name": "Ana", "orcid": "0000-0002-1825-0098"}], actor=SYSTEM
        )
    assert "creators" in caught.value.message_dict
    assert "fails the ORCID checksum" in caught.value.message_dict["creators"][0]


def test_creators_are_normalised():
    image_set = create_image_set(
        title="Zooplankton of the North Sea",
        creators=[
            {"name": " Ana ", "orcid": "https://orcid.org/0000-0002-1825-0097", "ror": "0342dzm54"}
        ],
        actor=SYSTEM,
    )
    assert image_set.creators == [
        {"name": "Ana", "orcid": "0000-0002-1825-0097", "ror": "0342dzm54"}
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"licence": "WTFPL-9"}, "licence"),
        ({"access": "embargoed"}, "embargo_until"),
        ({"west": 1.0}, "west"),
        ({"keywords": "not a list"}, "keywords"),
        ({"taxa": [{"scientific_name": "Calanus", "aphia_id": "abc"}]}, "taxa"),
        ({"polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}, "polygon"),
        ({"title": "<b>" + "x" * 600}, "title"),
    ],
)
def test_invalid_fields_are_named(fields, field):
    with pytest.raises(ValidationError) as caught:
        create_image_set(**{"title": "A set", **fields}, actor=SYSTEM)
    assert field in caught.value.message_dict


@pytest.mark.parametrize(
    "values",
    [
        {"south": -91},
        {"north": 95},
        {"west": 181},
        {"south": 10, "north": 5},
        {"depth_min": 50, "depth_max": 10},
        {
            "time_start": datetime.datetime(2024, 2, 1, tzinfo=datetime.UTC),
            "time_end": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        },
        {"access": "embargoed", "embargo_until": None},
    ],
)
def test_database_constraints_hold_without_validation(values):
    image_set = create_image_set(title="Constraint check", actor=SYSTEM)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImageSet.objects.filter(pk=image_set.pk).update(**values)


def test_stated_coverage_is_no_longer_derived():
    image_set = create_image_set(title="Coverage", actor=SYSTEM)
    image_set.derived_coverage = ["bbox", "depth"]
    image_set.save()
    update_image_set(image_set, depth_min=0, depth_max=200, actor=SYSTEM)
    image_set.refresh_from_db()
    assert image_set.derived_coverage == ["bbox"]
    assert (image_set.depth_min, image_set.depth_max) == (0, 200)
