"""Harvest tests: a fake of Zenodo's OAI-PMH endpoint, sources, and search over the
database backend and (where running) the search engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalogue.access import SYSTEM
from catalogue.harvest import oai, runs, services
from catalogue.models import HarvestSource, ImageSet
from catalogue.search.outbox import process_outbox
from catalogue.search.query import SearchQuery
from catalogue.selectors import search_catalogue
from tests.search.conftest import BACKENDS, drop_backend, make_backend
from tests.zenodo_oai_fake import FakeRecord, FakeZenodoOai, datacite_record

START = datetime(2024, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def zenodo():
    fake = FakeZenodoOai().start()
    yield fake
    fake.stop()


def zenodo_records(fake: FakeZenodoOai, count: int, *, first: int = 1, sets=("user-plankton",)):
    """`count` records numbered from `first`, one second apart."""
    for number in range(first, first + count):
        fake.add(
            FakeRecord(
                identifier=f"oai:zenodo.org:{number}",
                datestamp=START + timedelta(seconds=number),
                sets=list(sets),
                metadata=datacite_record(number, title=f"Plankton images {number}"),
            )
        )


def source_for(url: str, name: str = "zenodo", set_spec: str = "user-plankton"):
    return services.add_source(actor=SYSTEM, name=name, kind="oai", base_url=url, set_spec=set_spec)


def harvest(source: HarvestSource, **client_options):
    """Harvest with a client that waits at most a second when no Retry-After is given."""
    options = {"default_retry_after": 1, **client_options}
    source.refresh_from_db()
    return runs.harvest(source, scythe=oai.client(source.base_url, **options))


def live(source: HarvestSource):
    return ImageSet.objects.filter(harvest_source=source, remote_deleted__isnull=True)


@pytest.fixture(params=BACKENDS)
def backend(request):
    engine = make_backend(request.param)
    engine.setup()
    yield engine
    drop_backend(engine)


def search(backend, **query):
    """Index what changed, then search as an anonymous visitor."""
    process_outbox(backend)
    backend.refresh()
    return search_catalogue(None, SearchQuery(**query), backend=backend)
