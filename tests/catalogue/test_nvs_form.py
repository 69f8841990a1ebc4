"""The curator's set form offers NVS terms for instrument and platform, stores their
URIs, and refuses URIs outside the collections beside every other error."""

from __future__ import annotations

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from tests.curation.conftest import by_id, client_for, form_data, soup

pytestmark = pytest.mark.django_db

IFCB = "http://vocab.nerc.ac.uk/collection/L22/current/TOOL1588/"
IFCB_LABEL = "McLane Research Laboratories Imaging FlowCytobot imaging sensor"
RESEARCH_VESSEL = "http://vocab.nerc.ac.uk/collection/L06/current/31/"


@pytest.fixture(autouse=True)
def curation_settings(local_files_database_search):
    return local_files_database_search


def offered(page, field: str) -> dict[str, str]:
    """The options of the datalist a text input points to: label -> URI."""
    control = by_id(page, f"id_{field}")
    listing = by_id(page, control.get("list"))
    assert listing is not None and listing.tag == "datalist"
    return {option.get("value"): option.get("data-uri") for option in listing.xpath("./option")}


def test_the_form_offers_the_terms(people):
    page = soup(client_for(people["owner"]).get("/curate/sets/new"))
    instruments = offered(page, "instrument")
    assert instruments[IFCB_LABEL] == IFCB
    assert instruments["cameras"] == "http://vocab.nerc.ac.uk/collection/L05/current/311/"
    assert "underwater cameras" not in instruments  # deprecated in NVS
    platforms = offered(page, "platform")
    assert platforms["research vessel"] == RESEARCH_VESSEL
    assert IFCB_LABEL not in platforms and len(platforms) == 85
    for name in ("platform", "instrument"):
        assert by_id(page, f"id_{name}").get("data-term-uri") == f"id_{name}_uri"
        assert by_id(page, f"id_{name}_uri") is not None
        assert page.xpath("//label[@for=$f]", f=f"id_{name}_uri")
    assert page.xpath("//script[contains(@src, 'aquacat/terms')]")


def test_choosing_an_offered_term_stores_its_uri(people):
    response = client_for(people["owner"]).post(
        "/curate/sets/new",
        form_data(instrument=IFCB_LABEL, platform="research vessel"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = ImageSet.objects.get()
    assert (stored.instrument, stored.instrument_uri) == (IFCB_LABEL, IFCB)
    assert (stored.platform, stored.platform_uri) == ("research vessel", RESEARCH_VESSEL)


def test_a_uri_alone_brings_its_label_and_free_text_stays(people):
    response = client_for(people["owner"]).post(
        "/curate/sets/new",
        form_data(instrument_uri="SDN:L22::TOOL1588", platform="Our old trawler"),
    )
    assert response.status_code == 302
    stored = ImageSet.objects.get()
    assert (stored.instrument, stored.instrument_uri) == (IFCB_LABEL, IFCB)
    assert (stored.platform, stored.platform_uri) == ("Our old trawler", "")


def test_bad_uris_are_shown_at_their_fields_with_the_other_errors(people):
    response = client_for(people["owner"]).post(
        "/curate/sets/new",
        form_data(
            title="",
            west="500",
            instrument_uri=RESEARCH_VESSEL,
            platform_uri="https://example.org/ship",
        ),
    )
    assert response.status_code == 200
    page = soup(response)
    instrument_error = by_id(page, "id_instrument_uri-error").text_content()
    assert "is a term of L06" in instrument_error
    assert "a device (L22) or a device category (L05)" in instrument_error
    platform_error = by_id(page, "id_platform_uri-error").text_content()
    assert "not a NERC Vocabulary Server term URI" in platform_error
    assert by_id(page, "id_west-error") is not None
    assert not ImageSet.objects.exists()


def test_editing_keeps_the_term_and_a_new_choice_replaces_it(people):
    image_set = services.create_image_set(
        title="Pier IFCB",
        owner=people["owner"],
        instrument=IFCB_LABEL,
        instrument_uri=IFCB,
        actor=SYSTEM,
    )
    client = client_for(people["owner"])
    page = soup(client.get(f"/curate/sets/{image_set.uuid}/edit"))
    assert by_id(page, "id_instrument_uri").get("value") == IFCB
    response = client.post(
        f"/curate/sets/{image_set.uuid}/edit",
        form_data(title="Pier IFCB", instrument="cameras", instrument_uri=IFCB),
    )
    assert response.status_code == 302
    image_set.refresh_from_db()
    assert image_set.instrument_uri == "http://vocab.nerc.ac.uk/collection/L05/current/311/"
