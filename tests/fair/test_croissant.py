"""Croissant 1.0 of a set, checked by mlcroissant (MLCommons' reference library):
no error and no warning, and the records (images with their splits, labels,
validated annotations) read back through it, from a document and from the live
portal."""

from __future__ import annotations

import json
import math

import mlcroissant as mlc
import pytest
from django.test import override_settings

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats import croissant
from curation.models import Annotation
from curation.services import annotations, labels
from tests.catalogue.conftest import local_storages, real_jpegs


@pytest.fixture
def storage(tmp_path):
    with override_settings(STORAGES=local_storages(tmp_path / "media")):
        yield


@pytest.fixture
def labelled(storage, people, make_set):
    """Four real images: three with the authors' split (EcoTaxa's `sample_split`) and
    a validated label each (two taxa and detritus), one with only a dubious label."""
    image_set = make_set(
        state="draft",
        keywords=["phytoplankton"],
        version="1.0",
        licence="CC-BY-4.0",
        owner=people["owner"],
    )
    services.ingest(image_set, real_jpegs(4), actor=SYSTEM)
    image_set.reviewers.add(people["reviewer"])
    label_set = labels.create_label_set(
        actor=people["owner"],
        name="Phytoplankton",
        labels=[
            {"name": "Ciliophora", "aphia_id": 11},
            {"name": "Tripos", "aphia_id": 106285},
            {"name": "detritus", "concept": "detritus"},
        ],
    )
    labels.use_label_set(actor=people["owner"], image_set=image_set, label_set=label_set)
    named = {label.name: label for label in label_set.labels.all()}
    images = list(image_set.images.order_by("file_name"))
    plan = [("train", "Tripos", "validated"), ("train", "Ciliophora", "validated")]
    plan += [("val", "detritus", "validated"), ("", "Tripos", "dubious")]
    for image, (split, label, status) in zip(images, plan, strict=True):
        if split:
            image.fields = {**image.fields, "sample_split": split}
            image.save()
        annotations.create_annotation(
            actor=people["reviewer"], image=image, label=named[label], status=status
        )
    services.publish_image_set(image_set, actor=SYSTEM)
    return image_set


def checked(document: dict, *, warnings: tuple[str, ...] = ()) -> mlc.Dataset:
    """The document as mlcroissant reads it: no error, and no warning but `warnings`."""
    dataset = mlc.Dataset(jsonld=document)
    issues = dataset.metadata.ctx.issues
    assert not issues.errors, issues.errors
    unexpected = [w for w in issues.warnings if not any(part in w for part in warnings)]
    assert not unexpected, unexpected
    return dataset


def records(dataset: mlc.Dataset, name: str) -> list[dict]:
    def text(value):
        return value.decode() if isinstance(value, bytes) else value

    return [
        {key.split("/", 1)[1]: text(value) for key, value in record.items()}
        for record in dataset.records(name)
    ]


@pytest.mark.django_db
def test_mlcroissant_validates_and_reads_images_splits_and_labels(labelled, client):
    image_set = labelled
    response = client.get(f"/sets/{image_set.uuid}/metadata.croissant.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    document = response.json()
    assert document["conformsTo"] == croissant.CONFORMS_TO
    dataset = checked(document)
    assert dataset.metadata.license == ["https://creativecommons.org/licenses/by/4.0/"]
    assert "@misc{" in dataset.metadata.cite_as

    images = records(dataset, "images")
    stored = {i.file_name: i for i in image_set.images.all()}
    assert sorted(row["file_name"] for row in images) == sorted(stored)
    for row in images:
        image = stored[row["file_name"]]
        assert row["split"] == image.fields.get("sample_split", "")
        assert (row["sha256"], row["width"]) == (image.sha256, image.width)
        assert row["url"].endswith(f"/files/images/{image.pk}/original")
    splits = {row["name"]: row["url"] for row in records(dataset, "splits")}
    assert splits == {"train": "cr:TrainingSplit", "val": "cr:ValidationSplit"}

    # The three validated labels are examples; the dubious one is not.
    first, second, third, _ = sorted(stored)
    annotations = records(dataset, "annotations")
    assert sorted((row["image"], row["label"]) for row in annotations) == [
        (first, "Tripos"),
        (second, "Ciliophora"),
        (third, "detritus"),
    ]
    assert {row["annotator"] for row in annotations} == {"reviewer"}
    labels = {row["name"]: row for row in records(dataset, "labels")}
    assert set(labels) == {"Tripos", "Ciliophora", "detritus"}
    assert int(labels["Ciliophora"]["aphia_id"]) == 11
    assert labels["Ciliophora"]["scientific_name_id"] == "urn:lsid:marinespecies.org:taxname:11"
    assert math.isnan(labels["detritus"]["aphia_id"])  # no taxon: pandas reads NaN

    files = {f["name"]: f for f in document["distribution"]}
    assert set(files) == set(stored)
    assert all(f["sha256"] == stored[name].sha256 for name, f in files.items())


@pytest.mark.django_db
def test_only_validated_annotations_are_examples(labelled):
    image_set = labelled
    Annotation.objects.filter(image__image_set=image_set).update(status="dubious")
    document = croissant.to_dict(image_set)
    assert "annotations" not in {rs["@id"] for rs in document["recordSet"]}
    checked(document)


@pytest.mark.django_db(transaction=True)
def test_mlcroissant_loads_the_document_from_the_live_portal(labelled, live_server):
    image_set = labelled
    url = f"{live_server.url}/sets/{image_set.uuid}/metadata.croissant.json"
    dataset = mlc.Dataset(jsonld=url)
    assert not dataset.metadata.ctx.issues.errors
    rows = records(dataset, "images")
    assert {row["url"].split("/files/")[0] for row in rows} == {live_server.url}
    assert len(rows) == image_set.images.count()


@pytest.mark.django_db
def test_a_set_without_images_or_version_is_still_a_valid_dataset(make_set):
    document = json.loads(croissant.to_json(make_set(title="Empty", version="spring 2024")))
    assert document["distribution"] == [] and document["recordSet"] == []
    assert "version" not in document  # not MAJOR.MINOR.PATCH: left out, and said so
    checked(document, warnings=('"https://schema.org/version" is recommended',))
