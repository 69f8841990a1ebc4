"""The curators' harvest pages: each source's last run, counts and errors; staff only."""

from __future__ import annotations

import pytest
from django.test import Client

from catalogue.models import ImageSet
from catalogue.search.backends.database import DatabaseBackend
from catalogue.search.outbox import process_outbox
from tests.harvest.conftest import harvest, source_for, zenodo_records
from tests.zenodo_oai_fake import datacite_record

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_a_source_page_shows_its_runs_counts_and_errors(zenodo, people):
    zenodo_records(zenodo, 3)
    zenodo.records["oai:zenodo.org:2"].metadata = datacite_record(2, title="")
    source = source_for(zenodo.url)
    harvest(source)
    staff = client_for(people["staff"])

    listing = staff.get("/harvest/").content.decode()
    assert 'href="/harvest/zenodo/"' in listing
    page = staff.get("/harvest/zenodo/").content.decode()
    assert "2 new, 0 updated, 0 deleted, 1 skipped" in page
    assert "oai:zenodo.org:2" in page and "the record has no title" in page
    assert "2 searchable, 0 deleted at the source" in page
    assert staff.get("/harvest/nowhere/").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "curator", "other"])
def test_only_staff_see_the_harvest_pages(people, who):
    response = client_for(people[who]).get("/harvest/")
    assert response.status_code in (302, 403)


def test_an_external_set_has_a_landing_page_and_a_source_facet(zenodo, settings):
    settings.SEARCH_URL = ""  # the database backend
    zenodo_records(zenodo, 1)
    harvest(source_for(zenodo.url))
    external = ImageSet.objects.get()
    visitor = client_for(None)
    assert visitor.get(f"/sets/{external.uuid}/").status_code == 200
    process_outbox(DatabaseBackend())
    page = visitor.get("/search/", {"q": "plankton"}).content.decode()
    assert "Source" in page and "zenodo" in page
