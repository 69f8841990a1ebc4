"""More like this through the search engine's own kNN (Elasticsearch dense_vector,
HNSW with the search's access filter): results equal the exact scan, hidden
images are never returned or counted, the vectors follow a set's access as its
image documents do. OpenSearch (our build has no k-NN plugin) keeps our index.
On PostgreSQL with the real engines; vectors are seeded synthetic ones written
through the enrichment service, as in test_similar_index."""

from __future__ import annotations

import datetime
import os
import uuid

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from catalogue import services
from catalogue.access import SYSTEM, Visibility
from catalogue.models import Image
from catalogue.search import get_backend
from catalogue.search import vectors as engine_vectors
from catalogue.search.outbox import process_outbox
from catalogue.search.vectors import VectorIndex
from inference.ann import engine, maintain, store
from inference.models import ImageEmbedding
from inference.selectors import nearest_images
from inference.services import register_embedder, start_job
from inference.services.enrichment import write_embeddings
from tests.inference.conftest import make_set
from tests.inference.test_worker import wait_for

DIMENSIONS = 1280


@pytest.fixture
def users(django_user_model):
    return {
        "owner": django_user_model.objects.create_user("set-owner"),
        "other": django_user_model.objects.create_user("other-owner"),
        "stranger": django_user_model.objects.create_user("stranger"),
    }


def use_engine(settings, name: str) -> None:
    settings.SEARCH_URL = os.environ[f"SEARCH_URL_{name.upper()}"]
    settings.SEARCH_ENGINE = name
    settings.SEARCH_INDEX_PREFIX = f"aquacat-test-{uuid.uuid4().hex[:12]}"
    settings.SIMILARITY_BACKEND = "auto"
    settings.SIMILARITY_INDEX_MIN_EMBEDDINGS = 0  # the index answers however small
    settings.SIMILARITY_INDEX_CHECK_SECONDS = 0
    engine.forget()


def embed(version, images, seed: int, centres: np.ndarray) -> None:
    rng = np.random.default_rng(seed)
    found = {}
    for image in images:
        vector = centres[rng.integers(len(centres))] + rng.standard_normal(DIMENSIONS) * 0.03
        found[image.pk] = (vector / np.linalg.norm(vector)).astype(np.float32).tolist()
    write_embeddings(version, None, found)


def build_catalogue(tmp_path, users, version) -> dict:
    """An open set, and three sets a stranger may not see: restricted, under
    embargo, and another user's draft; every image embedded and indexed."""
    future = datetime.date.today() + datetime.timedelta(days=365)
    sets = {
        "open": make_set(tmp_path / "open", 12, owner=users["owner"], title="Open"),
        "restricted": make_set(
            tmp_path / "restricted", 12, owner=users["other"], title="R", access="restricted"
        ),
        "embargoed": make_set(
            tmp_path / "embargoed",
            12,
            owner=users["other"],
            title="E",
            access="embargoed",
            embargo_until=future,
        ),
        "draft": make_set(tmp_path / "draft", 12, owner=users["other"], title="D", state="draft"),
    }
    for image_set in sets.values():  # saved over without the services: index them again
        services.update_image_set(image_set, actor=SYSTEM, access=image_set.access)
    centres = np.random.default_rng(5).standard_normal((4, DIMENSIONS))
    for seed, image_set in enumerate(sets.values()):
        embed(version, image_set.images.all(), seed, centres)
    return sets


def index_everything() -> None:
    backend = get_backend()
    backend.setup()
    process_outbox(backend)
    backend.refresh()


@pytest.fixture
def elasticsearch(settings, tmp_path, users):
    use_engine(settings, "elasticsearch")
    version = register_embedder()
    sets = build_catalogue(tmp_path, users, version)
    index_everything()
    yield version, sets
    get_backend().drop()  # type: ignore[attr-defined]  # the engine backend's clean-up
    VectorIndex().drop(version.pk)


def exact(settings, user, image, limit):
    settings.SIMILARITY_BACKEND = "exact"
    try:
        return nearest_images(user, image, limit)
    finally:
        settings.SIMILARITY_BACKEND = "auto"


def own_vector(image) -> list[float]:
    return np.frombuffer(ImageEmbedding.objects.get(image=image).vector, dtype="<f4").tolist()


def ids_of(image_set) -> set[int]:
    return set(image_set.images.values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.services("postgres", "elasticsearch")
def test_engine_results_equal_the_exact_scan(settings, elasticsearch, users):
    version, sets = elasticsearch
    assert engine.backend() == engine.ENGINE
    report = maintain.update_index(version.pk)
    assert report["backend"] == "engine" and report["count"] == 48 and report["added"] == 48
    assert maintain.update_index(version.pk)["added"] == 0  # idempotent
    for user in (users["owner"], users["other"], users["stranger"], None):
        for image in Image.objects.filter(image_set=sets["open"]):
            found = nearest_images(user, image, limit=5)
            assert found.method == "engine"
            expected = exact(settings, user, image, 5)
            assert expected.method == "exact"
            assert found.ids == expected.ids
            # float32 products over a different number of rows may round the sixth digit
            assert found.similarity == pytest.approx(expected.similarity, abs=2e-6)


@pytest.mark.django_db
@pytest.mark.services("postgres", "elasticsearch")
def test_engine_never_returns_or_counts_hidden_images(settings, elasticsearch, users):
    version, sets = elasticsearch
    maintain.update_index(version.pk)
    public = ids_of(sets["open"])
    index = VectorIndex()
    anyone = Visibility(everything=False, user_id=None, today=timezone.localdate())
    stranger = Visibility(
        everything=False, user_id=users["stranger"].pk, today=timezone.localdate()
    )
    for image in sets["open"].images.all():
        vector = own_vector(image)
        for visibility in (anyone, stranger):
            # The engine's own answer, before any database check: only visible images.
            raw = index.nearest(version.pk, vector, 50, visibility, candidates=100)
            assert set(raw) == public
        for user in (users["stranger"], None):
            found = nearest_images(user, image, limit=50)
            assert found.method == "engine"
            assert set(found.ids) == public - {image.pk}  # every visible one, nothing else
    mine = nearest_images(users["other"], sets["open"].images.first(), limit=50)
    assert mine.method == "engine" and len(mine.ids) == 47  # the owner of the hidden sets


@pytest.mark.django_db
@pytest.mark.services("postgres", "elasticsearch")
def test_engine_vectors_follow_the_sets_access(settings, elasticsearch, users):
    version, sets = elasticsearch
    maintain.update_index(version.pk)
    index = VectorIndex()
    anyone = Visibility(everything=False, user_id=None, today=timezone.localdate())
    image = sets["open"].images.order_by("pk").first()
    vector = own_vector(image)

    services.update_image_set(sets["open"], actor=SYSTEM, access="restricted")
    index_everything()  # the outbox rewrites the image documents, and their vectors
    index.refresh(version.pk)
    assert index.nearest(version.pk, vector, 50, anyone, candidates=100) == []

    services.update_image_set(sets["restricted"], actor=SYSTEM, access="open")
    index_everything()
    index.refresh(version.pk)
    assert set(index.nearest(version.pk, vector, 50, anyone, candidates=100)) == ids_of(
        sets["restricted"]
    )
    assert index.count(version.pk) == 48  # no vector lost or doubled by the rewrites


@pytest.mark.django_db
@pytest.mark.services("postgres", "elasticsearch")
def test_an_image_embedded_again_gets_its_new_vector_in_the_engine(settings, elasticsearch):
    version, sets = elasticsearch
    maintain.update_index(version.pk)
    image = sets["open"].images.order_by("pk").first()
    fresh = np.random.default_rng(41).standard_normal(DIMENSIONS).astype(np.float32)
    fresh /= np.linalg.norm(fresh)  # far from every cluster: only its own new vector is near
    ImageEmbedding.objects.filter(image=image).delete()
    write_embeddings(version, None, {image.pk: fresh.tolist()})
    report = maintain.update_index(version.pk)
    assert (report["replaced"], report["added"], report["count"]) == (1, 0, 48)
    everything = Visibility(everything=True, user_id=None, today=timezone.localdate())
    assert VectorIndex().nearest(version.pk, fresh.tolist(), 1, everything, candidates=100) == [
        image.pk
    ]
    assert maintain.update_index(version.pk)["replaced"] == 0  # done once


@pytest.mark.django_db
@pytest.mark.services("postgres", "elasticsearch")
def test_embeddings_newer_than_the_engine_index_are_scanned(settings, elasticsearch, users):
    version, sets = elasticsearch
    newest = sets["open"].images.order_by("-pk").first()
    held = ImageEmbedding.objects.get(image=newest)
    held.delete()
    maintain.update_index(version.pk)
    assert VectorIndex().count(version.pk) == 47
    write_embeddings(version, None, {newest.pk: np.frombuffer(held.vector, "<f4").tolist()})
    neighbour = sets["open"].images.order_by("pk").first()
    found = nearest_images(None, neighbour, limit=11)
    assert found.method == "engine" and newest.pk in found.ids
    assert found.ids == exact(settings, None, neighbour, 11).ids


@pytest.mark.django_db
@pytest.mark.services("postgres", "opensearch", "s3")
def test_opensearch_without_knn_keeps_our_index(settings, tmp_path, users):
    """Our OpenSearch has no k-NN plugin: "auto" keeps our index beside it, with the
    same answers; asking for the engine's kNN there is refused by name."""
    use_engine(settings, "opensearch")
    assert not engine_vectors.supported()
    assert engine.backend() == engine.INDEX
    version = register_embedder()
    store.forget()
    sets = build_catalogue(tmp_path, users, version)
    try:
        assert maintain.update_index(version.pk)["published"]
        public = ids_of(sets["open"])
        for image in sets["open"].images.all():
            found = nearest_images(None, image, limit=50)
            assert found.method == "index" and set(found.ids) == public - {image.pk}
            assert found.ids == exact(settings, None, image, 50).ids
    finally:
        _, files = default_storage.listdir(store.folder(version.pk))
        for name in files:
            default_storage.delete(f"{store.folder(version.pk)}/{name}")
        store.forget()
    settings.SIMILARITY_BACKEND = "engine"
    with pytest.raises(engine_vectors.SearchEngineError, match="no dense-vector kNN"):
        VectorIndex()


@pytest.mark.django_db(transaction=True)
@pytest.mark.services("postgres", "redis", "elasticsearch")
def test_a_worker_indexes_the_vectors_and_keeps_their_visibility(
    start_worker, settings, tmp_path, users
):
    """Embeddings written by a worker's job reach the engine from the same worker
    (the job's end asks for the update); a set restricted later takes its vectors
    out of everyone else's answers once the worker has indexed its documents."""
    use_engine(settings, "elasticsearch")
    settings.SIMILARITY_BACKEND = "engine"
    started = start_worker(
        "knn",
        SEARCH_URL=settings.SEARCH_URL,
        SEARCH_ENGINE="elasticsearch",
        SIMILARITY_BACKEND="engine",
    )
    settings.INFERENCE_QUEUE = settings.SEARCH_INDEX_QUEUE = started.queue
    settings.INFERENCE_EMBED_NEW_IMAGES = False  # the job below is the only one
    get_backend().setup()
    version = register_embedder()
    image_set = make_set(tmp_path, 6, owner=users["owner"], title="Open")
    try:
        start_job(version, {"image_set": image_set.pk}, users["owner"], batch_size=3)
        wait_for(lambda: VectorIndex().count(version.pk) == 6, 120, "the vectors")
        query = image_set.images.order_by("pk").first()
        found = nearest_images(None, query, limit=10)
        assert found.method == "engine" and len(found.ids) == 5
        assert found.ids == exact(settings, None, query, 10).ids

        services.update_image_set(image_set, actor=SYSTEM, access="restricted")
        anyone = Visibility(everything=False, user_id=None, today=timezone.localdate())
        wait_for(
            lambda: (
                not VectorIndex().nearest(version.pk, own_vector(query), 10, anyone, candidates=50)
            ),
            60,
            "the vectors restricted",
        )
        assert nearest_images(users["owner"], query, limit=10).ids == found.ids
        assert VectorIndex().count(version.pk) == 6
    finally:
        get_backend().drop()  # type: ignore[attr-defined]
        VectorIndex().drop(version.pk)
