"""The "More like this" page: neighbours by embedding, only among visible images."""

from __future__ import annotations

import pytest

from catalogue.models import Image, ImageSet
from inference.services import start_embedding
from inference.services.batches import process_batch
from tests.inference.conftest import make_set

pytestmark = pytest.mark.django_db


def folder(tmp_path, name):
    path = tmp_path / name
    path.mkdir()
    return path


def restrict(image_set):
    ImageSet.objects.filter(pk=image_set.pk).update(access="restricted")


def embed_everything(user):
    job = start_embedding(user=user, batch_size=64)
    for batch in job.batches.order_by("number"):
        process_batch(batch.pk)


def test_the_page_lists_visible_neighbours_and_links_back(client, tmp_path, owner):
    public = make_set(folder(tmp_path, "public"), 12, owner=owner, title="Public FlowCam")
    hidden = make_set(folder(tmp_path, "hidden"), 12, owner=owner, title="Hidden <b>FlowCam</b>")
    restrict(hidden)
    embed_everything(owner)
    query = public.images.order_by("pk").first()

    page = client.get(f"/images/{query.pk}/similar/")
    assert page.status_code == 200
    shown = [image.pk for image in page.context["similar"]]
    assert shown and query.pk not in shown
    assert set(Image.objects.filter(pk__in=shown).values_list("image_set_id", flat=True)) == {
        public.pk
    }
    html = page.content.decode()
    assert f"/sets/{public.uuid}/#image-{shown[0]}" in html
    assert "% similar" in html

    # The owner sees the restricted set's images among the neighbours too.
    client.force_login(owner)
    mine = client.get(f"/images/{query.pk}/similar/").context["similar"]
    assert {image.image_set_id for image in mine} == {public.pk, hidden.pk}
    assert "<b>FlowCam</b>" not in client.get(f"/images/{query.pk}/similar/").content.decode()


def test_hidden_images_are_not_found_and_missing_embeddings_are_explained(client, tmp_path, owner):
    hidden = make_set(folder(tmp_path, "hidden"), 2, owner=owner, title="Restricted set")
    restrict(hidden)
    image = hidden.images.first()
    assert client.get(f"/images/{image.pk}/similar/").status_code == 404
    client.force_login(owner)
    page = client.get(f"/images/{image.pk}/similar/")
    assert page.status_code == 200 and page.context["pending"]
    assert "no embedding yet" in page.content.decode()
    assert client.get("/images/999999/similar/").status_code == 404
