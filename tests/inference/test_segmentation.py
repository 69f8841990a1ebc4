"""Segmentation: a segmenter's masks become polygons along the pixels' edges on the
original image, and a registered segmenter's regions reach the review workflow as
predicted polygon annotations (the grid's API lists them; a newer version that
relabels them puts them in the review queue)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from rest_framework.test import APIClient
from shapely.geometry import Polygon

from catalogue import services
from catalogue.access import SYSTEM
from curation import geometry
from curation.models import Annotation
from curation.services.predictions import review_queue
from inference import segmentation_training
from inference.runners import runner_for
from inference.segmentation import Frame, regions
from inference.segmentation_runner import TorchScriptSegmentationRunner
from inference.services import start_job
from inference.services.uploads import register_upload
from tests.curation.conftest import ready_set
from tests.inference.conftest import run_all
from tests.inference.registration_support import card_for, torchscript

SQUARE = (20, 20)


def scores_of(*maps: np.ndarray) -> np.ndarray:
    return np.stack(maps).astype(np.float32)


def test_a_mask_becomes_a_polygon_along_its_pixels_edges():
    score = np.zeros(SQUARE)
    score[2:6, 3:9] = 0.9  # 4 rows x 6 columns
    score[10:16, 10:12] = 0.7  # an L: a column and a foot
    score[15, 12:15] = 0.7
    frame = Frame.of(20, 20, SQUARE, pad=False)
    (rectangle, ell) = regions(scores_of(score), ["a"], frame, min_area=1)
    assert rectangle["confidence"] == pytest.approx(0.9)
    assert rectangle["box"] == [3.0, 2.0, 9.0, 6.0]
    assert Polygon(rectangle["polygon"]).area == pytest.approx(24)
    assert Polygon(ell["polygon"]).area == pytest.approx(6 * 2 + 3)
    assert sorted(map(tuple, ell["polygon"])) == sorted(
        [(10.0, 10.0), (12.0, 10.0), (12.0, 15.0), (15.0, 15.0), (15.0, 16.0), (10.0, 16.0)]
    )


def test_regions_are_apart_holes_are_filled_and_small_or_faint_ones_dropped():
    score = np.zeros(SQUARE)
    score[1:4, 1:4] = 0.8
    score[4:7, 4:7] = 0.8  # touches the first only at a corner: another region
    score[10:17, 10:17] = 0.6
    score[12:15, 12:15] = 0.0  # a hole: the outline is the outer one
    score[18, 1] = 0.9  # one pixel: below min_area
    score[1:5, 15:19] = 0.4  # under the threshold
    found = regions(scores_of(score), ["a"], Frame.of(20, 20, SQUARE, pad=False), min_area=2)
    areas = sorted(Polygon(find["polygon"]).area for find in found)
    assert areas == [9, 9, 49]
    assert [find["confidence"] for find in found] == pytest.approx([0.8, 0.8, 0.6])


def test_polygons_are_carried_back_to_the_padded_image_and_clipped():
    score = np.zeros(SQUARE)
    score[2:8, 4:8] = 0.9  # half of it above the image (padding)
    score[12:14, 12:16] = 0.8
    # A 40 x 20 image was padded to 40 x 40 (10 rows above and below) and halved.
    frame = Frame.of(40, 20, SQUARE, pad=True)
    clipped, inside = sorted(
        regions(scores_of(score), ["a"], frame, min_area=1), key=lambda f: f["box"][1]
    )
    assert clipped["box"] == [8.0, 0.0, 16.0, 6.0]  # y 4..16 less 10, cut at 0
    assert inside["box"] == [24.0, 14.0, 32.0, 18.0]
    for find in (clipped, inside):
        assert geometry.check("polygon", find["polygon"], 40, 20) == []


def test_every_polygon_of_random_blobs_is_a_valid_annotation():
    rng = np.random.default_rng(7)
    noise = torch.from_numpy(rng.random((1, 1, 64, 64)).astype(np.float32))
    smooth = torch.nn.functional.avg_pool2d(noise, 7, 1, 3)[0, 0].numpy()
    score = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    frame = Frame.of(97, 61, (64, 64), pad=True)
    found = regions(scores_of(score, 1 - score), ["a", "b"], frame, threshold=0.7, min_area=4)
    assert len(found) >= 4
    for find in found:
        assert geometry.check("polygon", find["polygon"], 97, 61) == [], find
        assert len(find["polygon"]) <= geometry.MAX_POINTS


class DarkerThanBackground(torch.nn.Module):
    """An honest thresholding segmenter: a pixel is "plankton" by how much darker it
    is than the image's median grey (FlowCam particles are darker than the cell)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        grey = x.mean(dim=1, keepdim=True)
        background = grey.flatten(1).median(dim=1).values.view(-1, 1, 1, 1)
        return torch.sigmoid((background - grey - 0.2) * 20)


def segmenter_card(weights: bytes, **section) -> dict:
    fields = {
        "name": "dark-particles",
        "task": "segmentation",
        "labels": ["plankton"],
        "input_spec": {**segmentation_training.INPUT_SPEC, "min_area": 30},
        **section,
    }
    card = card_for(weights, **fields)
    card["tasks"] = ["Computer Vision"]
    return card


def png(scene) -> bytes:
    buffer = io.BytesIO()
    scene.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_regions_become_predicted_polygons_and_relabels_join_the_review_queue(people, tmp_path):
    weights = torchscript(DarkerThanBackground())
    first = register_upload(actor=people["staff"], card=segmenter_card(weights), weights=weights)
    assert isinstance(runner_for(first), TorchScriptSegmentationRunner)
    image_set = ready_set(people, images=0)
    paths = []
    for index, (scene, _masks) in enumerate(segmentation_training.held_out_scenes(3)):
        paths.append(tmp_path / f"frame-{index}.png")
        paths[-1].write_bytes(png(scene))
    services.ingest(image_set, paths, actor=SYSTEM)

    run_all(start_job(first, {"image_set": image_set.pk}, people["owner"]))
    outlines = Annotation.objects.filter(image__image_set=image_set, model_version=first)
    found = outlines.count()
    assert found >= 3
    for outline in outlines.select_related("image", "label"):
        assert (outline.shape, outline.status, outline.label.name) == (
            "polygon",
            "predicted",
            "plankton",
        )
        assert geometry.check("polygon", outline.coordinates, 256, 256) == []
        assert 0.5 <= outline.confidence <= 1.0

    client = APIClient()
    client.force_login(people["owner"])
    listed = client.get(
        "/api/v1/annotations/", {"image_set": str(image_set.uuid), "status": "predicted"}
    ).json()["results"]
    assert {row["geometry"]["type"] for row in listed} == {"polygon"}
    assert len(listed) == found

    # The same outlines called something else by the next version: to review.
    second = register_upload(
        actor=people["staff"],
        card=segmenter_card(weights, version="2.0.0", labels=["detritus"]),
        weights=weights,
    )
    run_all(start_job(second, {"image_set": image_set.pk}, people["owner"]))
    queue = list(review_queue(image_set))
    assert len(queue) == found
    assert {(a.shape, a.changed_from, a.changed_to) for a in queue} == {
        ("polygon", "plankton", "detritus")
    }
