"""Annotation rows in search, on every backend: validated labels (`label`), predicted
ones (`predicted`) and the statuses present (`label_status`) filter and facet
apart; reviewing an annotation reindexes its image; iFDO `labels` lists are
searchable once ingested."""

from __future__ import annotations

import json
import shutil

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.search.documents import documents
from catalogue.search.maintenance import truth
from catalogue.search.outbox import process_outbox
from catalogue.search.query import SearchQuery
from catalogue.selectors import search_visibility
from curation.services.review import review
from tests.catalogue.conftest import local_storages, real_jpegs
from tests.curation.annotating import annotate

pytestmark = pytest.mark.django_db


@pytest.fixture
def labelled(tmp_path, settings):
    """A draft set of three images: validated Copepoda, predicted Calanus (80%),
    nothing; one iFDO-imported box with a label list on the third."""
    settings.STORAGES = local_storages(tmp_path / "media")
    folder = tmp_path / "in"
    folder.mkdir()
    paths = real_jpegs(3)
    for path in paths:
        shutil.copy(path, folder / path.name)
    doc = {
        "image-set-header": {
            "image-set-name": "Labelled",
            "image-set-uuid": "7b0c2a35-6c0d-4d8e-9a43-1f9e0d7c0e12",
        },
        "image-set-items": {
            paths[2].name: {
                "image-annotations": [
                    {
                        "shape": "rectangle",
                        "coordinates": [[5, 10, 25, 10, 25, 30, 5, 30]],
                        "labels": [
                            {"label": "Noctiluca", "annotator": "Jane Doe"},
                            {"label": "Tripos", "annotator": "model", "confidence": 0.3},
                        ],
                    }
                ]
            }
        },
    }
    (folder / "labels_ifdo.json").write_text(json.dumps(doc))
    image_set = services.create_image_set(title="Labelled plankton", actor=SYSTEM)
    assert services.ingest(image_set, [folder], actor=SYSTEM).rejected == []
    first, second, third = (image_set.images.get(file_name=p.name) for p in paths)
    annotate(first, "Copepoda")
    calanus = annotate(second, "Calanus", "predicted", confidence=0.8)
    return image_set, (first, second, third), calanus


def index(backend, image_set) -> None:
    ids = list(image_set.images.values_list("pk", flat=True))
    assert backend.index("image", list(documents("image", ids))) == []
    assert backend.index("set", list(documents("set", [image_set.pk]))) == []
    backend.refresh()


def search(backend, image_set, **params):
    query = SearchQuery(kind="image", image_set=[image_set.pk], **params).validate()
    return backend.search(query, search_visibility(SYSTEM))


def found(backend, image_set, **params) -> set[int]:
    return {hit.id for hit in search(backend, image_set, **params).hits}


def facet(result, name) -> dict:
    return {value.value: value.count for value in result.facets[name]}


def test_validated_and_predicted_labels_filter_and_facet_apart(backend, labelled):
    image_set, (first, second, third), _ = labelled
    index(backend, image_set)
    assert found(backend, image_set, label=["Copepoda"]) == {first.pk}
    assert found(backend, image_set, label=["Calanus"]) == set()
    assert found(backend, image_set, predicted=["Calanus"]) == {second.pk}
    # iFDO label lists: the person's label validated, the model's (30%) predicted.
    assert found(backend, image_set, label=["Noctiluca"]) == {third.pk}
    assert found(backend, image_set, predicted=["Tripos"]) == {third.pk}
    assert found(backend, image_set, label_status=["validated"]) == {first.pk, third.pk}
    assert found(backend, image_set, label_status=["predicted"]) == {second.pk, third.pk}
    result = search(backend, image_set)
    assert facet(result, "label_status") == {"validated": 2, "predicted": 2}
    assert facet(result, "label") == {"Copepoda": 1, "Noctiluca": 1}
    assert facet(result, "predicted") == {"Calanus": 1, "Tripos": 1}
    assert facet(result, "has_annotations") in ({True: 3}, {"true": 3}, {1: 3})
    # The set's document sums its images.
    sets = backend.search(
        SearchQuery(kind="set", label_status=["predicted"]).validate(), search_visibility(SYSTEM)
    )
    [hit] = sets.hits
    assert sorted(hit.document["labels"]) == ["Copepoda", "Noctiluca"]
    assert sorted(hit.document["predicted"]) == ["Calanus", "Tripos"]
    # Its version counts every annotation change of its images, as reconcile expects.
    assert backend.revisions("set")[image_set.pk] == truth("set")[image_set.pk]
    assert hit.document["revision"] == image_set.revision + 4  # four annotations made


def test_reviewing_an_annotation_reindexes_its_image(backend, labelled):
    image_set, (_, second, _), calanus = labelled
    index(backend, image_set)
    before = truth("image")[second.pk]
    review(actor=SYSTEM, ids=[calanus.pk], action="validate")
    assert truth("image")[second.pk] > before  # a newer document version
    process_outbox(backend)
    backend.refresh()
    assert found(backend, image_set, label=["Calanus"]) == {second.pk}
    assert found(backend, image_set, predicted=["Calanus"]) == set()
    # The index agrees with the database: nothing stale for a reconcile to repair.
    assert backend.revisions("image")[second.pk] == truth("image")[second.pk]
    # And its set: the set's labels now count Calanus as validated.
    sets = backend.search(
        SearchQuery(kind="set", label=["Calanus"]).validate(), search_visibility(SYSTEM)
    )
    assert [hit.id for hit in sets.hits] == [image_set.pk]
    assert backend.revisions("set")[image_set.pk] == truth("set")[image_set.pk]
