"""Predictions are indexed: a job run in this process, then the outbox, makes
images and their set findable and facetable by predicted class."""

from __future__ import annotations

import pytest
from django.utils import timezone

from catalogue.access import Visibility
from catalogue.models import Image
from catalogue.search import get_backend
from catalogue.search.outbox import process_outbox
from catalogue.search.query import SearchQuery
from inference.services import start_job
from inference.services.batches import process_batch
from tests.inference.conftest import make_set

pytestmark = pytest.mark.django_db


def test_predicted_classes_are_indexed_and_searchable(tmp_path, classifier, owner, settings):
    settings.SEARCH_URL = ""  # the database backend
    image_set = make_set(tmp_path, 8, owner=owner)
    job = start_job(classifier, {"image_set": image_set.pk}, owner, batch_size=4)
    for batch in job.batches.order_by("number"):
        process_batch(batch.pk)
    backend = get_backend()
    backend.setup()
    process_outbox(backend)
    backend.refresh()

    by_label: dict[str, set[int]] = {}
    for image in Image.objects.filter(image_set=image_set):
        for entry in image.fields["predictions"]:
            by_label.setdefault(entry["label"], set()).add(image.pk)
    assert by_label
    anyone = Visibility(everything=False, user_id=None, today=timezone.localdate())
    label, expected = sorted(by_label.items())[0]
    images = backend.search(
        SearchQuery(kind="image", predicted=[label], page_size=50).validate(), anyone
    )
    assert sorted(images.ids()) == sorted(expected)
    sets = backend.search(SearchQuery(predicted=[label]).validate(), anyone)
    assert sets.ids() == [image_set.pk]
    [hit] = sets.hits
    assert sorted(hit.document["predicted"]) == sorted(by_label)
    assert hit.document["predicted_share"] == 1.0
    facet = backend.search(SearchQuery(kind="image", page_size=50).validate(), anyone)
    assert facet.facet_counts("predicted") == {k: len(v) for k, v in by_label.items()}
