"""COCO JSON of a set's curated annotations, from a real EcoTaxa-labelled ingest."""

from __future__ import annotations

import pytest
from django.test import override_settings

from catalogue import services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import ecotaxa_demo_folder, local_storages

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage(tmp_path):
    with override_settings(STORAGES=local_storages(tmp_path / "media")):
        yield


def test_coco_lists_annotated_images_with_whole_image_boxes(storage, tmp_path, client, make_set):
    folder = tmp_path / "images"
    paths = ecotaxa_demo_folder(folder)
    image_set = make_set(state="draft")
    batch = services.ingest(image_set, [folder], actor=SYSTEM)
    assert batch.added == 4
    services.publish_image_set(image_set, actor=SYSTEM)

    response = client.get(f"/sets/{image_set.uuid}/metadata.coco.json")
    assert response.status_code == 200
    coco = response.json()
    assert {c["name"] for c in coco["categories"]} == {"Tripos", "Ciliophora"}
    assert sorted(i["file_name"] for i in coco["images"]) == sorted(
        f"{p.parent.name}/{p.name}" for p in paths
    )  # the unlabelled image is not an annotated example
    by_id = {i["id"]: i for i in coco["images"]}
    names = {c["id"]: c["name"] for c in coco["categories"]}
    for annotation in coco["annotations"]:
        image = by_id[annotation["image_id"]]
        assert annotation["bbox"] == [0, 0, image["width"], image["height"]]
        assert names[annotation["category_id"]] == image["file_name"].split("/")[0]
    assert coco["licenses"][0]["url"].startswith("https://")


def test_coco_of_a_hidden_set_is_404(client, make_set):
    hidden = make_set(access="restricted")
    assert client.get(f"/sets/{hidden.uuid}/metadata.coco.json").status_code == 404
