"""Shared fixtures of the taxa tests: the WoRMS fake on loopback, wired into settings.
The cache (WoRMS's answers, whether it is down) starts and ends empty."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from catalogue.models import Taxon
from catalogue.vocabularies.taxa import snapshot
from tests.worms_fake import FakeWorms


@pytest.fixture
def worms(settings):
    """The fake WoRMS, with short waits so retries and timeouts are quick."""
    server = FakeWorms().start()
    settings.WORMS_URL = server.url
    settings.WORMS_TIMEOUT = 1.0
    settings.WORMS_RETRIES = 2
    settings.WORMS_BACKOFF = 0.01
    settings.WORMS_MAX_WAIT = 5.0
    cache.clear()
    yield server
    cache.clear()
    server.stop()


@pytest.fixture
def worms_down(settings):
    """WoRMS cannot be reached: a loopback port nothing listens on."""
    settings.WORMS_URL = "http://127.0.0.1:9/rest"
    settings.WORMS_RETRIES = 2
    settings.WORMS_BACKOFF = 0.01
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def taxa_snapshot(db):
    """The bundled snapshot in the taxon table. A migration loads it, but a
    transactional test's flush empties every table: load it again when so."""
    if Taxon.objects.filter(source="snapshot").count() < len(snapshot.records()):
        snapshot.load(Taxon)
