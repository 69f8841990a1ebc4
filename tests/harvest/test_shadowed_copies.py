"""A harvested copy kept out of search by a local set of the same DOI comes back when
that local set is deleted (by any path: the admin deletes published sets), through
the outbox or, when the indexing task never ran, through reconcile."""

from __future__ import annotations

import pytest

from catalogue import services as catalogue_services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet, SearchOutbox
from catalogue.search.maintenance import reconcile
from tests.harvest.conftest import harvest, search, source_for, zenodo_records

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]


def shadowed(zenodo, backend, people) -> tuple[ImageSet, ImageSet]:
    """Two harvested copies, one of them shadowed by a published local set."""
    zenodo.deleted_record = "persistent"
    zenodo_records(zenodo, 2)
    harvest(source_for(zenodo.url))
    local = catalogue_services.create_image_set(
        actor=SYSTEM,
        owner=people["owner"],
        title="Plankton images 1 (our own)",
        doi="10.5281/ZENODO.1",
        state="published",
    )
    result = search(backend, text="plankton")
    assert result.facet_counts("source") == {"zenodo": 1, "local": 1}
    copy = ImageSet.objects.get(remote_identifier="oai:zenodo.org:1")
    assert copy.pk not in result.ids()
    return local, copy


def test_a_shadowed_copy_comes_back_when_the_local_set_is_deleted(zenodo, backend, people):
    local, copy = shadowed(zenodo, backend, people)
    local.delete()
    result = search(backend, text="plankton")
    assert result.facet_counts("source") == {"zenodo": 2}
    assert copy.pk in result.ids()


def test_reconcile_brings_a_shadowed_copy_back_when_indexing_never_ran(zenodo, backend, people):
    local, copy = shadowed(zenodo, backend, people)
    local.delete()
    SearchOutbox.objects.all().delete()  # the indexing task never ran
    reconcile(backend, "set")
    result = search(backend, text="plankton")
    assert copy.pk in result.ids()
    assert local.pk not in result.ids()
