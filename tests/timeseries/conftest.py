"""A fixed camera's set with dated images and labels at known times, and sets its
counts must never leak from (restricted; files under embargo)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image
from tests.browser.conftest import browser, page, shoot  # noqa: F401 - for test_browser
from tests.catalogue.conftest import jpeg_with_exif, real_jpegs
from tests.curation.annotating import annotate

EVIL = "<script>alert('x')</script> & Co"
# Capture times: two on Tuesday 1 June 2021, none on the 2nd, one on the 3rd, one
# the next week; one image has no capture time at all.
TIMES = [
    datetime(2021, 6, 1, 10, 15, tzinfo=UTC),
    datetime(2021, 6, 1, 22, 40, tzinfo=UTC),
    datetime(2021, 6, 3, 8, 0, tzinfo=UTC),
    datetime(2021, 6, 10, 12, 0, tzinfo=UTC),
]


@pytest.fixture(autouse=True)
def timeseries_settings(local_files_database_search):
    return local_files_database_search


@pytest.fixture
def people(db):
    users = get_user_model().objects
    return {
        "owner": users.create_user("station-owner"),
        "other": users.create_user("someone-else"),
    }


def station_images(image_set, tmp_path, folder: str) -> list[Image]:
    """Images of `image_set` captured at TIMES, then one without a capture time."""
    target = tmp_path / folder
    target.mkdir()
    sources = real_jpegs(len(TIMES) + 1)
    files = [
        jpeg_with_exif(source, target / source.name, lat=43.0, lon=5.0, when=when)
        for source, when in zip(sources, TIMES, strict=False)
    ]
    services.ingest(image_set, [*files, sources[-1]], actor=SYSTEM)
    dated = {image.captured_at: image for image in image_set.images.exclude(captured_at=None)}
    return [dated[when] for when in TIMES]


def label_station(images: list[Image]) -> None:
    """Validated: Tripos on the 1st (twice), Ciliophora on the 3rd, EVIL on the 10th.
    Predicted: Ciliophora 0.9 and Tripos 0.3 on the 1st. Dubious: Tripos on the 3rd."""
    first, second, third, fourth = images
    annotate(first, "Tripos")
    annotate(first, "Ciliophora", "predicted", confidence=0.9)
    annotate(second, "Tripos")
    # A region, or the import would take it for the same annotation as the one above.
    annotate(second, "Tripos", "predicted", shape="box", coordinates=[1, 1, 9, 9], confidence=0.3)
    annotate(third, "Ciliophora")
    annotate(third, "Tripos", "dubious")
    annotate(fourth, EVIL)


def station_set(people, tmp_path, folder: str, **fields):
    image_set = services.create_image_set(
        title=f"Fixed camera {folder}",
        owner=people["owner"],
        licence="CC-BY-4.0",
        creators=[{"name": "Rossi, Giulia"}],
        platform="Fixed benthic node",
        instrument="Observatory camera",
        actor=SYSTEM,
        **fields,
    )
    label_station(station_images(image_set, tmp_path, folder))
    services.publish_image_set(image_set, actor=SYSTEM)
    image_set.refresh_from_db()
    return image_set


@pytest.fixture
def station(people, tmp_path):
    """A published open set of the station EMSO-OBSEA: the camera's series."""
    return station_set(people, tmp_path, "open", access="open", station="EMSO-OBSEA")


@pytest.fixture
def hidden_stations(people, tmp_path):
    """The same series in a restricted set and in one whose files are under embargo."""
    later = date.today() + timedelta(days=365)
    return {
        "restricted": station_set(people, tmp_path, "restricted", access="restricted"),
        "files_embargoed": station_set(
            people, tmp_path, "embargoed", access="files_embargoed", embargo_until=later
        ),
    }
