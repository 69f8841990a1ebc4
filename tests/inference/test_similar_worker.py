"""The similarity index in real worker processes: an embedding job's end makes a
worker publish the index to the S3 store, this process (as a web process would)
loads it when its manifest changes, and an uploaded image is embedded by a worker
while the query waits."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from rest_framework.test import APIClient

from aquacat.celery import app
from inference.ann import graph, store
from inference.ann.uploaded import UploadedImageError
from inference.models import InferenceJob
from inference.selectors import images_like_upload, nearest_images
from inference.services import register_embedder, start_job
from tests.inference.conftest import demo_images, make_set
from tests.inference.test_worker import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.services("postgres", "redis", "s3"),
]


def clear_index(version_id: int) -> None:
    _, files = default_storage.listdir(store.folder(version_id))
    for name in files:
        default_storage.delete(f"{store.folder(version_id)}/{name}")
    store.forget()


@pytest.fixture
def worker(start_worker, settings):
    settings.SIMILARITY_INDEX_MIN_EMBEDDINGS = 0
    settings.SIMILARITY_INDEX_CHECK_SECONDS = 0
    settings.SIMILARITY_BACKEND = "index"  # the engine's kNN: test_similar_engine
    started = start_worker("similarity", SIMILARITY_BACKEND="index")
    settings.INFERENCE_QUEUE = started.queue
    settings.INFERENCE_EMBED_NEW_IMAGES = False  # the job below is the only one
    return started


def exact(settings, user, image, limit):
    settings.SIMILARITY_INDEX_MIN_EMBEDDINGS = 10**9
    try:
        return nearest_images(user, image, limit)
    finally:
        settings.SIMILARITY_INDEX_MIN_EMBEDDINGS = 0


def test_a_worker_builds_the_index_and_this_process_picks_it_up(worker, settings, tmp_path, owner):
    version = register_embedder()
    clear_index(version.pk)
    first = make_set(tmp_path / "first", 6, owner=owner, title="First")
    start_job(version, {"image_set": first.pk}, owner, batch_size=3)
    manifest = wait_for(
        lambda: (m := store.read_manifest(version.pk)) and m.count == 6 and m, 120, "the index"
    )
    query = first.images.order_by("pk").first()
    found = nearest_images(owner, query, limit=10)
    assert found.method == "index" and len(found.ids) == 5
    assert found.ids == exact(settings, owner, query, 10).ids
    assert store.current(version.pk).manifest == manifest

    # A second job: the worker publishes a new file, and this process loads it.
    second = make_set(tmp_path / "second", 4, owner=owner, title="Second")
    start_job(version, {"image_set": second.pk}, owner, batch_size=4)
    wait_for(lambda: InferenceJob.objects.filter(state="done").count() == 2, 120, "the second job")
    newer = wait_for(
        lambda: (m := store.read_manifest(version.pk)) and m.count == 10 and m, 60, "the update"
    )
    assert newer.file != manifest.file
    found = nearest_images(owner, query, limit=10)
    assert (
        store.current(version.pk).manifest == newer
        and graph.size(store.current(version.pk).index) == 10
    )
    assert found.method == "index" and found.ids == exact(settings, owner, query, 10).ids

    # A rebuild, asked of the worker as the schedule would.
    app.send_task("inference.rebuild_similarity_index", args=[version.pk], queue=worker.queue).get(
        timeout=60
    )
    assert store.read_manifest(version.pk).file != newer.file
    clear_index(version.pk)


def test_an_uploaded_image_is_embedded_by_a_worker(
    worker, settings, tmp_path, owner, django_user_model
):
    version = register_embedder()
    clear_index(version.pk)
    image_set = make_set(tmp_path, 6, owner=owner)
    start_job(version, {"image_set": image_set.pk}, owner, batch_size=6)
    wait_for(lambda: store.read_manifest(version.pk), 120, "the index")
    [path] = demo_images(1)  # the first image of the set, uploaded again
    same = image_set.images.get(sha256=hashlib.sha256(path.read_bytes()).hexdigest())

    found = images_like_upload(owner, path.read_bytes(), limit=3)
    assert found.method == "index" and found.ids[0] == same.pk
    assert found.similarity[same.pk] == pytest.approx(1.0, abs=1e-3)

    client = APIClient()
    client.force_authenticate(owner)
    url = reverse("api:images-similar-to-upload")
    answer = client.post(f"{url}?limit=2", {"file": io.BytesIO(path.read_bytes())})
    assert answer.status_code == 200, answer.content
    assert [row["id"] for row in answer.json()["results"]] == found.ids[:2]
    assert answer.json()["model_version"] == version.pk
    refused = client.post(url, {"file": io.BytesIO(b"plain text")})
    assert refused.status_code == 400 and "file" in refused.content.decode()
    assert client.post(url, {}).status_code == 400

    stranger = django_user_model.objects.create_user("stranger")
    image_set.access = "restricted"
    image_set.save()
    assert images_like_upload(stranger, path.read_bytes(), limit=3).ids == []

    with pytest.raises(UploadedImageError) as refused:
        images_like_upload(owner, b"plain text, no image", limit=3)
    assert refused.value.field == "file" and "image" in refused.value.reason
    with pytest.raises(UploadedImageError, match="file: is empty"):
        images_like_upload(owner, b"", limit=3)
    clear_index(version.pk)
