"""Annotation rows in the image-level exports: COCO with real geometry (read by
pycocotools), YOLO label files, EcoTaxa TSV with status, person and date, and
iFDO 2 annotations that the `ifdo` library validates; rejected annotations are
left out of all of them."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
import yaml
from django.test import override_settings
from ifdo import iFDO
from pycocotools.coco import COCO

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats import coco, ecotaxa, ifdo, yolo
from catalogue.ingest.sidecars import parse_ecotaxa_tsv
from curation.services import annotations, labels, review
from inference.models import ModelVersion
from inference.services import enrichment, register_model_version
from tests.catalogue.conftest import local_storages, real_jpegs

pytestmark = pytest.mark.django_db

POLYGON = [[10, 10], [40, 12], [30, 40], [12, 30]]


@pytest.fixture
def storage(tmp_path):
    with override_settings(STORAGES=local_storages(tmp_path / "media")):
        yield


@pytest.fixture
def annotated(storage, people):
    """A draft of three real images: a reviewer's box, polygon, rotated box,
    circle and point on the first, a model's predicted box and a rejected
    whole-image class on the second, nothing on the third."""
    image_set = services.create_image_set(
        title="Annotated", owner=people["owner"], curators=[people["curator"]], actor=SYSTEM
    )
    services.ingest(image_set, real_jpegs(3), actor=SYSTEM)
    image_set.reviewers.add(people["reviewer"])
    label_set = labels.create_label_set(
        actor=people["curator"],
        name="North Sea plankton",
        labels=[
            {"name": "Dinophyceae", "aphia_id": 19542},
            {"name": "Tripos", "aphia_id": 106285, "parent": "Dinophyceae"},
            {"name": "detritus", "concept": "detritus"},
        ],
    )
    labels.use_label_set(actor=people["curator"], image_set=image_set, label_set=label_set)
    named = {label.name: label for label in label_set.labels.all()}
    first, second, third = image_set.images.order_by("file_name")
    reviewer = people["reviewer"]
    for shape, coordinates, label in [
        ("box", [2, 3, 22, 13], "Tripos"),
        ("polygon", POLYGON, "Tripos"),
        ("rotated_box", [30, 30, 20, 10, 90], "detritus"),
        ("circle", [20, 20, 5], "detritus"),
        ("point", [5, 6], "Tripos"),
    ]:
        annotations.create_annotation(
            actor=reviewer, image=first, label=named[label], shape=shape, coordinates=coordinates
        )
    detector = register_model_version(
        name="plankton-detector",
        task="detection",
        licence="Apache-2.0",
        version="2.0",
        framework=ModelVersion.Framework.DEEPAAS,
        labels=["Tripos"],
        endpoint={"url": "http://127.0.0.1:9/", "name": "detector"},
    )
    found = {second.pk: [{"label": "Tripos", "confidence": 0.75, "box": [4, 4, 24, 14]}]}
    enrichment.write_predictions(detector, None, found)
    enrichment.enrich_images(detector, [second.pk])
    wrong = annotations.create_annotation(
        actor=reviewer, image=second, label=named["detritus"], status="dubious"
    )
    review.review(actor=reviewer, ids=[wrong.pk], action="reject")
    return image_set, (first, second, third)


def test_coco_has_boxes_polygons_and_categories_pycocotools_reads(annotated):
    image_set, (first, second, _) = annotated
    document = coco.to_dict(image_set)
    reader = COCO()
    reader.dataset = document
    reader.createIndex()
    names = {c["id"]: c["name"] for c in reader.loadCats(reader.getCatIds())}
    assert sorted(names.values()) == ["Dinophyceae", "Tripos", "detritus"]
    tripos = next(c for c in document["categories"] if c["name"] == "Tripos")
    assert (tripos["supercategory"], tripos["aphia_id"]) == ("Dinophyceae", 106285)
    assert sorted(reader.getImgIds()) == sorted([first.pk, second.pk])  # no annotation, no entry

    mine = {a["shape"]: a for a in reader.loadAnns(reader.getAnnIds(imgIds=[first.pk]))}
    assert set(mine) == {"box", "polygon", "rotated_box", "circle", "point"}
    assert mine["box"]["bbox"] == [2, 3, 20, 10] and mine["box"]["area"] == 200
    assert mine["box"]["segmentation"] == [[2, 3, 22, 3, 22, 13, 2, 13]]
    assert mine["polygon"]["bbox"] == [10, 10, 30, 30]
    assert mine["polygon"]["segmentation"] == [[v for point in POLYGON for v in point]]
    # The polygon's mask, as pycocotools rasterises it, covers about its area.
    mask = reader.annToMask(mine["polygon"])
    assert mask.shape == (first.height, first.width)
    assert abs(int(mask.sum()) - mine["polygon"]["area"]) < 0.15 * mine["polygon"]["area"]
    assert mine["rotated_box"]["bbox"] == pytest.approx([25, 20, 10, 20])
    assert mine["circle"]["bbox"] == [15, 15, 10, 10] and mine["circle"]["segmentation"] == []
    assert mine["point"]["bbox"] == [5, 6, 0, 0] and mine["point"]["area"] == 0
    assert {a["status"] for a in mine.values()} == {"validated"}
    assert {a["annotator"] for a in mine.values()} == {"reviewer"}

    [predicted] = reader.loadAnns(reader.getAnnIds(imgIds=[second.pk]))  # the rejected is out
    assert predicted["bbox"] == [4, 4, 20, 10] and names[predicted["category_id"]] == "Tripos"
    assert (predicted["status"], predicted["score"]) == ("predicted", 0.75)
    assert predicted["annotator"] == "plankton-detector 2.0"


def test_yolo_zip_has_classes_data_yaml_and_normalised_boxes(annotated, client, people):
    image_set, (first, second, third) = annotated
    client.force_login(people["owner"])
    response = client.get(f"/sets/{image_set.uuid}/metadata.yolo.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response.content == yolo.to_zip(image_set)  # the same set, the same bytes
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    classes = archive.read("classes.txt").decode().splitlines()
    assert classes == ["Dinophyceae", "Tripos", "detritus"]
    data = yaml.safe_load(archive.read("data.yaml"))
    assert (data["nc"], data["names"]) == (3, classes)

    def lines(image):
        name = "labels/" + image.file_name.rsplit(".", 1)[0] + ".txt"
        return [line.split() for line in archive.read(name).decode().splitlines()]

    width, height = first.width, first.height
    box = [classes.index("Tripos"), (2 + 22) / 2 / width, (3 + 13) / 2 / height]
    box += [20 / width, 10 / height]
    written = [[int(line[0]), *map(float, line[1:])] for line in lines(first)]
    assert len(written) == 4  # box, polygon, rotated box, circle; the point has no extent
    assert written[0] == pytest.approx(box, abs=1e-6)
    assert all(0 <= value <= 1 for line in written for value in line[1:])
    assert [line[0] for line in lines(second)] == [str(classes.index("Tripos"))]
    assert lines(third) == []  # a background image


def test_ecotaxa_tsv_says_the_decided_label_its_status_person_and_date(annotated):
    image_set, (first, second, third) = annotated
    text = ecotaxa.to_tsv(image_set)
    header, _types, *rows = list(csv.reader(io.StringIO(text), dialect="excel-tab"))
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    today = datetime.now(UTC).strftime("%Y%m%d")
    assert {k: by_name[first.file_name][k] for k in header if "annotation" in k} == {
        "object_annotation_category": "Tripos",
        "object_annotation_status": "validated",
        "object_annotation_person_name": "reviewer",
        "object_annotation_date": today,
    }
    # The rejected class is no label: the model's prediction is the row's.
    predicted = by_name[second.file_name]
    assert predicted["object_annotation_category"] == "Tripos"
    assert predicted["object_annotation_status"] == "predicted"
    assert predicted["object_annotation_person_name"] == "plankton-detector 2.0"
    assert by_name[third.file_name]["object_annotation_category"] == ""
    parsed = parse_ecotaxa_tsv(text, name="export.tsv")
    assert parsed.images[first.file_name].annotation["category"] == "Tripos"


def test_ifdo_annotations_validate_with_the_ifdo_library(annotated):
    image_set, (first, second, third) = annotated
    document = json.loads(ifdo.to_json(image_set))
    validated = iFDO.from_dict(document)  # raises on anything the iFDO schema refuses
    assert validated.image_set_header.image_set_uuid == str(image_set.uuid)
    head = document["image-set-header"]
    label_names = {entry["id"]: entry["name"] for entry in head["image-annotation-labels"]}
    assert sorted(label_names.values()) == ["Tripos", "detritus"]  # the ones used
    assert {c["name"] for c in head["image-annotation-creators"]} == {
        "reviewer",
        "plankton-detector 2.0",
    }
    mine = document["image-set-items"][first.file_name]["image-annotations"]
    shapes = {entry["shape"]: entry for entry in mine}
    assert set(shapes) == {"rectangle", "polygon", "circle", "single-pixel"}
    assert shapes["single-pixel"]["coordinates"] == [[5, 6]]
    assert shapes["circle"]["coordinates"] == [[20, 20, 5]]
    assert shapes["polygon"]["coordinates"] == [[v for point in POLYGON for v in point]]
    [label] = shapes["polygon"]["labels"]
    assert label_names[label["label"]] == "Tripos" and label["annotator"] == "reviewer"
    assert datetime.fromisoformat(label["created-at"]).tzinfo is not None
    [theirs] = document["image-set-items"][second.file_name]["image-annotations"]
    assert theirs["shape"] == "rectangle" and theirs["labels"][0]["confidence"] == 0.75
    assert "image-annotations" not in document["image-set-items"][third.file_name]
    # YAML says the same.
    assert yaml.safe_load(ifdo.to_yaml(image_set)) == document
