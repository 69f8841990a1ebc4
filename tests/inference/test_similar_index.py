"""The approximate "more like this" index: what it finds equals the exact scan,
hidden images are never returned or counted, rows newer than the index and rows
gone since are handled, on PostgreSQL with the index in the S3 store. Vectors
are seeded synthetic ones (clustered, as image features are) written through
the enrichment service; the worker test embeds real images."""

from __future__ import annotations

import datetime
import io

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from rest_framework.test import APIClient

from catalogue.models import Image
from inference.ann import graph, maintain, query, store
from inference.models import ImageEmbedding
from inference.selectors import nearest_images
from inference.services import register_embedder
from inference.services.enrichment import write_embeddings
from tests.inference.conftest import demo_images, make_set

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres", "s3")]

DIMENSIONS = 1280


def clear_index(version_id: int) -> None:
    """Nothing left from an earlier run, in the store or in this process."""
    try:
        _, files = default_storage.listdir(store.folder(version_id))
    except FileNotFoundError:  # a local folder never made
        files = []
    for name in files:
        default_storage.delete(f"{store.folder(version_id)}/{name}")
    store.forget()


@pytest.fixture
def embedder(settings):
    settings.SIMILARITY_BACKEND = "index"  # the engine's kNN: test_similar_engine
    settings.SIMILARITY_INDEX_MIN_EMBEDDINGS = 0  # the index answers however small
    settings.SIMILARITY_INDEX_CHECK_SECONDS = 0  # every query reads the manifest
    version = register_embedder()
    clear_index(version.pk)
    yield version
    clear_index(version.pk)


def embed(version, images, seed: int, centres: np.ndarray) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = {}
    for image in images:
        vector = centres[rng.integers(len(centres))] + rng.standard_normal(DIMENSIONS) * 0.03
        vectors[image.pk] = (vector / np.linalg.norm(vector)).astype(np.float32)
    write_embeddings(version, None, {pk: v.tolist() for pk, v in vectors.items()})
    return vectors


@pytest.fixture
def users(django_user_model):
    return {
        "owner": django_user_model.objects.create_user("set-owner"),
        "other": django_user_model.objects.create_user("other-owner"),
        "stranger": django_user_model.objects.create_user("stranger"),
    }


@pytest.fixture
def catalogue(tmp_path, users, embedder):
    """An open set, and three sets a stranger may not see: restricted, under
    embargo, and another user's draft; every image embedded."""
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
    centres = np.random.default_rng(5).standard_normal((4, DIMENSIONS))
    for seed, image_set in enumerate(sets.values()):
        embed(embedder, image_set.images.all(), seed, centres)
    return sets


def ids_of(image_set) -> set[int]:
    return set(image_set.images.values_list("pk", flat=True))


def exact(settings, user, image, limit):
    settings.SIMILARITY_INDEX_MIN_EMBEDDINGS = 10**9
    try:
        return nearest_images(user, image, limit)
    finally:
        settings.SIMILARITY_INDEX_MIN_EMBEDDINGS = 0


def test_index_results_equal_the_exact_scan(settings, catalogue, users, embedder):
    assert maintain.update_index(embedder.pk)["count"] == 48
    for user in (users["owner"], users["other"], users["stranger"], None):
        for image in Image.objects.filter(image_set=catalogue["open"]):
            found = nearest_images(user, image, limit=5)
            assert found.method == "index"
            expected = exact(settings, user, image, 5)
            assert expected.method == "exact"
            assert found.ids == expected.ids and found.similarity == expected.similarity


def test_hidden_images_are_never_returned_or_counted(settings, catalogue, users, embedder):
    maintain.update_index(embedder.pk)
    public = ids_of(catalogue["open"])
    for image in catalogue["open"].images.all():
        for user in (users["stranger"], None):
            found = nearest_images(user, image, limit=50)
            assert found.method == "index"
            assert set(found.ids) == public - {image.pk}  # every visible one, nothing else
    mine = nearest_images(users["other"], catalogue["open"].images.first(), limit=50)
    assert len(mine.ids) == 47  # the owner of the hidden sets sees them all


def test_too_many_hidden_candidates_fetch_more_then_scan(
    settings, catalogue, users, embedder, monkeypatch
):
    """The stranger's query image has 36 hidden twins nearer than any visible image."""
    target = catalogue["open"].images.order_by("pk").first()
    own = np.frombuffer(ImageEmbedding.objects.get(image=target).vector, dtype="<f4")
    hidden = Image.objects.exclude(image_set=catalogue["open"])
    ImageEmbedding.objects.filter(image__in=hidden).update(vector=own.tobytes())
    maintain.update_index(embedder.pk, rebuild=True)
    monkeypatch.setattr(query, "MIN_FETCH", 4)
    monkeypatch.setattr(query, "OVERFETCH", 1)
    expected = exact(settings, users["stranger"], target, 5)
    assert not set(expected.ids) & set(hidden.values_list("pk", flat=True))
    found = nearest_images(users["stranger"], target, limit=5)  # fetches 5, 20, then all 48
    assert found.method == "index" and found.ids == expected.ids
    monkeypatch.setattr(query, "MAX_FETCH", 16)
    found = nearest_images(users["stranger"], target, limit=5)  # 16 all hidden: the scan
    assert found.method == "exact" and found.ids == expected.ids


def test_rows_newer_than_the_index_are_ranked_and_rows_gone_dropped(
    settings, tmp_path, catalogue, users, embedder
):
    maintain.update_index(embedder.pk)
    late = make_set(tmp_path / "late", 6, owner=users["owner"], title="Late")
    centres = np.random.default_rng(5).standard_normal((4, DIMENSIONS))
    embed(embedder, late.images.all(), 99, centres)
    image = catalogue["open"].images.order_by("pk").first()
    found = nearest_images(users["stranger"], image, limit=50)
    assert found.method == "index" and set(found.ids) >= ids_of(late)
    assert found.ids == exact(settings, users["stranger"], image, 50).ids

    gone = ids_of(catalogue["open"]) - {image.pk}
    Image.objects.filter(pk__in=list(gone)[:5]).delete()
    result = maintain.update_index(embedder.pk)
    assert result["added"] == 6 and result["removed"] == 5 and result["count"] == 49
    assert store.read_manifest(embedder.pk).count == 49
    assert maintain.update_index(embedder.pk)["published"] is False  # nothing to do
    found = nearest_images(users["stranger"], image, limit=50)
    assert found.ids == exact(settings, users["stranger"], image, 50).ids


def test_an_upload_with_nothing_embedded_yet_is_a_conflict(embedder, users):
    client = APIClient()
    client.force_authenticate(users["owner"])
    url = reverse("api:images-similar-to-upload")
    image = io.BytesIO(demo_images(1)[0].read_bytes())
    answer = client.post(url, {"file": image})
    assert answer.status_code == 409 and "no image has been embedded" in answer.content.decode()
    missing = client.post(url, {})
    assert missing.status_code == 400 and "file" in missing.content.decode()
    assert client.post(f"{url}?limit=0", {"file": image}).status_code == 400


def test_an_image_embedded_again_gets_its_new_vector(catalogue, embedder):
    maintain.update_index(embedder.pk)
    image = catalogue["open"].images.order_by("pk").first()
    fresh = np.random.default_rng(41).standard_normal(DIMENSIONS).astype(np.float32)
    fresh /= np.linalg.norm(fresh)  # far from every cluster: only its own new vector is near
    ImageEmbedding.objects.filter(image=image).delete()
    write_embeddings(embedder, None, {image.pk: fresh.tolist()})
    report = maintain.update_index(embedder.pk)
    assert (report["replaced"], report["added"], report["count"]) == (1, 0, 48)
    index = store.current(embedder.pk).index
    assert graph.search(index, fresh, 1) == [image.pk] and graph.size(index) == 48


def test_a_grown_catalogue_trains_the_index_again(settings, tmp_path, catalogue, users, embedder):
    """48 vectors hold one list; 88 ask for two (40 vectors to train each)."""
    assert maintain.update_index(embedder.pk)["trained"] is True
    assert store.current(embedder.pk).index.nlist == 1
    more = make_set(tmp_path / "more", 40, owner=users["owner"], title="More")
    embed(embedder, more.images.all(), 7, np.random.default_rng(5).standard_normal((4, DIMENSIONS)))
    report = maintain.update_index(embedder.pk)
    assert report["trained"] is True and report["count"] == 88
    index = store.current(embedder.pk).index
    assert index.nlist == 2 and set(graph.keys(index).tolist()) == set(
        ImageEmbedding.objects.filter(model_version=embedder).values_list("image_id", flat=True)
    )
    image = more.images.order_by("pk").first()
    found = nearest_images(None, image, 20)
    assert found.method == "index" and found.ids == exact(settings, None, image, 20).ids
