"""Annotations that come with the files (EcoTaxa TSV, iFDO, COCO sidecars) become
annotation rows in the ingest, with a label set made from their categories; bad
geometry refuses the sidecar with every problem named; sets ingested before are
migrated from their image fields."""

from __future__ import annotations

import importlib
import json
import shutil
from datetime import UTC, datetime

import pytest
from django.apps import apps

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars import parse_ifdo
from catalogue.models import Image
from curation.models import Annotation, Labelling, LabelSet, ReviewEvent
from curation.services.labels import publish_label_set
from tests.catalogue.conftest import real_jpegs

pytestmark = pytest.mark.django_db
migration = importlib.import_module("curation.migrations.0003_annotations_from_fields")

SET_UUID = "7b0c2a35-6c0d-4d8e-9a43-1f9e0d7c0e12"


def folder_with(tmp_path, count: int, sidecar_name: str, sidecar: str):
    """`count` real images at the top of a folder, and the sidecar beside them."""
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    names = []
    for path in real_jpegs(count):
        shutil.copy(path, folder / path.name)
        names.append(path.name)
    (folder / sidecar_name).write_text(sidecar, encoding="utf-8")
    return folder, names


def ingest(folder, title="Belgica 2023 FlowCam", image_set=None):
    image_set = image_set or services.create_image_set(title=title, actor=SYSTEM)
    batch = services.ingest(image_set, [folder], actor=SYSTEM)
    return image_set, batch


def rows_of(image_set):
    return list(
        Annotation.objects.filter(image__image_set=image_set)
        .select_related("label", "image")
        .order_by("pk")
    )


def ecotaxa_tsv(names: list[str]) -> str:
    header = [
        "img_file_name",
        "object_id",
        "object_annotation_category",
        "object_annotation_status",
        "object_annotation_person_name",
        "object_annotation_date",
    ]
    rows = [
        [names[0], "o1", "Copepoda", "V", "Jane Doe", "20240102"],
        [names[1], "o2", "Calanus", "predicted", "", ""],
        [names[2], "o3", "detritus", "D", "Ann Lee", "20240103"],
        [names[2], "o4", "Copepoda", "P", "", ""],  # a second object of the same image
    ]
    types = ["[t]"] * len(header)
    return "\n".join("\t".join(row) for row in [header, types, *rows]) + "\n"


def test_ecotaxa_rows_with_status_annotator_and_date(tmp_path):
    folder, names = folder_with(tmp_path, 3, "objects.tsv", ecotaxa_tsv(real_names(3)))
    image_set, batch = ingest(folder)
    assert batch.rejected == []
    found = {
        (row.image.file_name, row.label.name): (row.status, row.annotator, row.created, row.shape)
        for row in rows_of(image_set)
    }
    assert found == {
        (names[0], "Copepoda"): (
            "validated",
            "Jane Doe",
            datetime(2024, 1, 2, tzinfo=UTC),
            "whole",
        ),
        (names[1], "Calanus"): ("predicted", "", found[(names[1], "Calanus")][2], "whole"),
        (names[2], "detritus"): ("dubious", "Ann Lee", datetime(2024, 1, 3, tzinfo=UTC), "whole"),
        (names[2], "Copepoda"): ("predicted", "", found[(names[2], "Copepoda")][2], "whole"),
    }
    # One label set, named after the set, made from the categories and used by the set.
    label_set = Labelling.objects.get(image_set=image_set).label_set
    assert label_set.name == "Belgica 2023 FlowCam"
    assert sorted(label_set.labels.values_list("name", flat=True)) == [
        "Calanus",
        "Copepoda",
        "detritus",
    ]
    # Each row has its history from the start: created by a person, or predicted.
    actions = sorted(ReviewEvent.objects.filter(image__image_set=image_set).values_list("action"))
    assert actions == [("create",), ("create",), ("predict",), ("predict",)]


def real_names(count: int) -> list[str]:
    return [path.name for path in real_jpegs(count)]


def ifdo_v2(name: str) -> dict:
    return {
        "image-set-header": {
            "image-set-name": "Dive 12",
            "image-set-uuid": SET_UUID,
            "image-set-ifdo-version": "v2.1.0",
            "image-annotation-labels": [
                {"id": "104150", "name": "Calanus finmarchicus", "info": "WoRMS AphiaID"},
                {"id": "sponge", "name": "Porifera"},
            ],
            "image-annotation-creators": [
                {"id": "0000-0002-1825-0097", "name": "Jane Doe", "type": "expert"},
                {"id": "yolo", "name": "YOLO v8 run 3", "type": "AI"},
            ],
        },
        "image-set-items": {
            name: {
                "image-depth": 12.5,
                "image-annotations": [
                    {
                        "shape": "single-pixel",
                        "coordinates": [[10, 12]],
                        "labels": [
                            {
                                "label": "104150",
                                "annotator": "0000-0002-1825-0097",
                                "created-at": "2024-03-01 10:00:00.000000",
                            },
                            {"label": "sponge", "annotator": "yolo", "confidence": 0.9},
                        ],
                    },
                    {
                        "shape": "polyline",
                        "coordinates": [[1, 1, 20, 20, 30, 5]],
                        "labels": [{"label": "sponge", "annotator": "0000-0002-1825-0097"}],
                    },
                    {
                        "shape": "polygon",
                        "coordinates": [[5, 5, 40, 5, 40, 40, 5, 5]],
                        "labels": [{"label": "sponge", "annotator": "someone", "confidence": 1}],
                    },
                    {
                        "shape": "circle",
                        "coordinates": [[30, 30, 8]],
                        "labels": [{"label": "104150", "annotator": "x", "confidence": 0.4}],
                    },
                    {
                        "shape": "rectangle",
                        "coordinates": [[5, 10, 25, 10, 25, 30, 5, 30]],
                        "labels": [{"label": "104150", "annotator": "0000-0002-1825-0097"}],
                    },
                    {"shape": "whole-image", "coordinates": [], "labels": [{"label": "sponge"}]},
                ],
            }
        },
    }


def test_ifdo_v2_shapes_and_label_lists(tmp_path):
    name = real_names(1)[0]
    folder, _ = folder_with(tmp_path, 1, "dive_ifdo.json", json.dumps(ifdo_v2(name)))
    image_set, batch = ingest(folder)
    assert batch.rejected == []
    got = [
        (row.label.name, row.shape, row.coordinates, row.status, row.annotator, row.confidence)
        for row in rows_of(image_set)
    ]
    jane = "Jane Doe"
    assert got == [
        ("Calanus finmarchicus", "point", [10.0, 12.0], "validated", jane, None),
        ("Porifera", "point", [10.0, 12.0], "predicted", "YOLO v8 run 3", 0.9),
        ("Porifera", "line", [[1.0, 1.0], [20.0, 20.0], [30.0, 5.0]], "validated", jane, None),
        (
            "Porifera",
            "polygon",
            [[5.0, 5.0], [40.0, 5.0], [40.0, 40.0]],
            "validated",
            "someone",
            1.0,
        ),
        ("Calanus finmarchicus", "circle", [30.0, 30.0, 8.0], "predicted", "x", 0.4),
        ("Calanus finmarchicus", "box", [5.0, 10.0, 25.0, 30.0], "validated", jane, None),
        ("Porifera", "whole", [], "validated", "", None),
    ]
    first = rows_of(image_set)[0]
    assert first.created == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert Image.objects.get(image_set=image_set).depth == 12.5


def test_ifdo_1_flat_coordinates_and_a_rotated_rectangle(tmp_path):
    name = real_names(1)[0]
    doc = {
        "image-set-header": {"image-set-name": "v1", "image-set-uuid": SET_UUID},
        "image-set-items": {
            name: {
                "image-annotations": [
                    {"coordinates": [12, 14], "labels": [{"label": "fish", "annotator": "a"}]},
                    {
                        "shape": "rectangle",  # a square turned by 45 degrees
                        "coordinates": [30, 10, 40, 20, 30, 30, 20, 20],
                        "labels": [{"label": "fish", "annotator": "a"}],
                    },
                ]
            }
        },
    }
    folder, _ = folder_with(tmp_path, 1, "v1_ifdo.yaml", json.dumps(doc))
    image_set, batch = ingest(folder)
    assert batch.rejected == []
    point, rotated = rows_of(image_set)
    assert (point.shape, point.coordinates) == ("point", [12.0, 14.0])
    assert rotated.shape == "rotated_box"
    cx, cy, w, h, angle = rotated.coordinates
    assert (cx, cy, angle) == pytest.approx((30, 20, 45))
    assert (w, h) == pytest.approx((200**0.5, 200**0.5))


def coco(names: list[str], annotations: list[dict]) -> str:
    return json.dumps(
        {
            "info": {"description": "detections"},
            "images": [
                {"id": index + 1, "file_name": f"frames/{name}", "width": 80, "height": 80}
                for index, name in enumerate(names)
            ],
            "categories": [
                {"id": 1, "name": "Calanus", "supercategory": "Copepoda"},
                {"id": 2, "name": "Noctiluca"},
            ],
            "annotations": annotations,
        }
    )


def test_coco_boxes_polygons_and_scores(tmp_path):
    names = real_names(2)
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 12, 20, 30], "iscrowd": 0},
        {
            "id": 2,
            "image_id": 2,
            "category_id": 2,
            "bbox": [5, 5, 30, 30],
            "segmentation": [[5, 5, 35, 5, 35, 35, 5, 35]],
        },
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.35},
    ]
    folder, _ = folder_with(tmp_path, 2, "instances.json", coco(names, annotations))
    image_set, batch = ingest(folder)
    assert batch.rejected == []
    got = [
        (r.image.file_name, r.label.name, r.shape, r.coordinates, r.status, r.confidence)
        for r in rows_of(image_set)
    ]
    assert got == [
        (names[0], "Calanus", "box", [10.0, 12.0, 30.0, 42.0], "validated", None),
        (
            names[1],
            "Noctiluca",
            "polygon",
            [[5.0, 5.0], [35.0, 5.0], [35.0, 35.0], [5.0, 35.0]],
            "validated",
            None,
        ),
        (names[1], "Calanus", "box", [1.0, 2.0, 4.0, 6.0], "predicted", 0.35),
    ]


BIIGLE_HEADER = (
    "image_annotation_label_id,label_id,label_name,label_hierarchy,user_id,firstname,"
    "lastname,image_id,filename,image_longitude,image_latitude,shape_id,shape_name,points,"
    "attributes,annotation_id,created_at"
)


def test_biigle_csv_report_rows(tmp_path):
    name = real_names(1)[0]
    rows = [
        f'1,7,Porifera,"Biota > Porifera",3,Jane,Doe,11,{name},,,5,Rectangle,'
        f'"[5,10,25,10,25,30,5,30]",{{}},21,"2023-06-05 16:22:05"',
        f'2,8,Holothuroidea,"Biota > Holothuroidea",3,Jane,Doe,11,{name},,,1,Point,'
        f'"[12,14]",{{}},22,"2023-06-05 16:23:00"',
        f"3,7,Porifera,Biota,4,Ann,Lee,11,{name},,,7,WholeFrame,[],{{}},23,",
    ]
    folder, _ = folder_with(tmp_path, 1, "report.csv", "\n".join([BIIGLE_HEADER, *rows]) + "\n")
    image_set, batch = ingest(folder)
    assert batch.rejected == []
    got = [
        (r.label.name, r.shape, r.coordinates, r.status, r.annotator, r.created)
        for r in rows_of(image_set)
    ]
    when = datetime(2023, 6, 5, 16, 22, 5, tzinfo=UTC)
    assert got[:2] == [
        ("Porifera", "box", [5.0, 10.0, 25.0, 30.0], "validated", "Jane Doe", when),
        (
            "Holothuroidea",
            "point",
            [12.0, 14.0],
            "validated",
            "Jane Doe",
            datetime(2023, 6, 5, 16, 23, tzinfo=UTC),
        ),
    ]
    assert got[2][:5] == ("Porifera", "whole", [], "validated", "Ann Lee")


def test_geometry_outside_the_image_refuses_the_sidecar_with_every_problem(tmp_path):
    name = real_names(1)[0]
    doc = ifdo_v2(name)
    item = doc["image-set-items"][name]
    item["image-annotations"] = [
        {
            "shape": "rectangle",
            "coordinates": [[5, 10, 9000, 10, 9000, 30, 5, 30]],
            "labels": [{"label": "sponge"}, {"label": "104150"}],
        },
        {
            "shape": "polygon",  # a bow tie: crosses itself
            "coordinates": [[5, 5, 40, 40, 40, 5, 5, 40, 5, 5]],
            "labels": [{"label": "sponge"}],
        },
        {"shape": "single-pixel", "coordinates": [[10, 10]], "labels": [{"label": "sponge"}]},
    ]
    folder, _ = folder_with(tmp_path, 1, "dive_ifdo.json", json.dumps(doc))
    image_set, batch = ingest(folder)
    # Atomic per sidecar: the image it describes is not imported either.
    assert batch.added == 0
    refusal, image = batch.rejected
    assert refusal["name"] == "dive_ifdo.json"
    assert image == {
        "name": name,
        "reason": "not imported: its sidecar dive_ifdo.json was refused (see its problems)",
    }
    reason = refusal["reason"]
    spot = f"item {name!r}, image-annotations"
    assert f"{spot}[1], geometry: 1 point(s) outside the image" in reason
    assert reason.count("image-annotations[1]") == 1  # one geometry, named once
    assert f"{spot}[2], geometry: the polygon is not simple" in reason
    assert "image-annotations[3]" not in reason
    # Nothing of the sidecar stays: no rows, no label set, not its image.
    assert rows_of(image_set) == []
    assert not Labelling.objects.filter(image_set=image_set).exists()
    assert not Image.objects.filter(image_set=image_set).exists()


def test_malformed_annotations_are_refused_when_read(tmp_path):
    names = real_names(1)
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 9, "bbox": [1, 1, 2, 2]},
        {"id": 2, "image_id": 7, "category_id": 1, "bbox": [1, 1, 2, 2]},
        {"id": 3, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2]},
        {"id": 4, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "score": 1.5},
    ]
    folder, _ = folder_with(tmp_path, 1, "instances.json", coco(names, annotations))
    image_set, batch = ingest(folder)
    [refusal] = [entry for entry in batch.rejected if entry["name"] == "instances.json"]
    assert [(p["column"], p["value"], p["reason"]) for p in refusal["problems"]] == [
        ("annotations[0].category_id", "9", "names no category"),
        ("annotations[1].image_id", "7", "names no image"),
        ("annotations[2].bbox", "[1, 1, 2]", "expected [x, y, width, height] in pixels"),
        ("annotations[3].score", "1.5", "is not between 0 and 1"),
    ]
    assert rows_of(image_set) == []


def test_a_later_import_reuses_and_extends_the_label_set_without_duplicates(tmp_path):
    names = real_names(3)
    folder, _ = folder_with(tmp_path, 3, "objects.tsv", ecotaxa_tsv(names))
    image_set, _ = ingest(folder)
    label_set = Labelling.objects.get(image_set=image_set).label_set
    # The same sidecar again, with one more image and a new category.
    extra = real_jpegs(4)[3]
    shutil.copy(extra, folder / extra.name)
    tsv = ecotaxa_tsv(names) + f"{extra.name}\to5\tNoctiluca\tvalidated\t\t\n"
    (folder / "objects.tsv").write_text(tsv)
    ingest(folder, image_set=image_set)
    assert Labelling.objects.get(image_set=image_set).label_set == label_set
    assert LabelSet.objects.count() == 1
    assert label_set.labels.filter(name="Noctiluca").exists()
    assert len(rows_of(image_set)) == 5


def test_a_published_label_set_lacking_a_category_refuses_the_sidecar(tmp_path):
    names = real_names(3)
    folder, _ = folder_with(tmp_path, 3, "objects.tsv", ecotaxa_tsv(names))
    image_set, _ = ingest(folder)
    label_set = Labelling.objects.get(image_set=image_set).label_set
    publish_label_set(actor=SYSTEM, label_set=label_set)
    extra = real_jpegs(4)[3]
    shutil.copy(extra, folder / extra.name)
    (folder / "objects.tsv").write_text(
        ecotaxa_tsv(names) + f"{extra.name}\to5\tNoctiluca\tvalidated\t\t\n"
    )
    _, batch = ingest(folder, image_set=image_set)
    refusal, image = batch.rejected
    assert "label(s) 'Noctiluca' are not in the label set" in refusal["reason"]
    assert "published" in refusal["reason"]
    assert len(rows_of(image_set)) == 4
    # The new image the refused sidecar describes is not imported.
    assert image["name"] == extra.name and image["reason"].startswith("not imported")
    assert image_set.images.count() == 3


def test_migration_turns_stored_fields_into_rows_once(tmp_path):
    names = real_names(3)
    folder = tmp_path / "in"
    folder.mkdir()
    for path in real_jpegs(3):
        shutil.copy(path, folder / path.name)
    image_set, _ = ingest(folder, title="Ingested long ago")
    first, second, third = (image_set.images.get(file_name=name) for name in names)
    # As earlier ingests left them: an EcoTaxa row, an image with several EcoTaxa
    # objects, iFDO image-annotations (one outside the image: skipped).
    first.fields = {
        "annotation": {
            "category": "Copepoda",
            "status": "validated",
            "person": "Jane Doe",
            "date": "2024-01-02",
        }
    }
    second.fields = {
        "objects": [
            {"row": 3, "annotation": {"category": "Calanus", "status": "predicted"}},
            {"row": 4, "annotation": {"category": "detritus", "status": "dubious"}},
        ]
    }
    third.fields = {
        "annotation": [
            {
                "shape": "rectangle",
                "coordinates": [[5, 10, 25, 10, 25, 30, 5, 30]],
                "labels": [{"label": "Copepoda", "annotator": "Ann", "confidence": 0.7}],
            },
            {"shape": "single-pixel", "coordinates": [[9000, 1]], "labels": [{"label": "x"}]},
        ]
    }
    for image in (first, second, third):
        image.save(update_fields=["fields"])

    migration.forwards(apps, None)
    got = sorted(
        (r.image.file_name, r.label.name, r.status, r.shape, r.annotator)
        for r in rows_of(image_set)
    )
    assert got == sorted(
        [
            (names[0], "Copepoda", "validated", "whole", "Jane Doe"),
            (names[1], "Calanus", "predicted", "whole", ""),
            (names[1], "detritus", "dubious", "whole", ""),
            (names[2], "Copepoda", "predicted", "box", "Ann"),
        ]
    )
    assert Labelling.objects.get(image_set=image_set).label_set.name == "Ingested long ago"
    assert ReviewEvent.objects.filter(image__image_set=image_set).count() == 4

    migration.forwards(apps, None)  # idempotent
    assert len(rows_of(image_set)) == 4
    assert LabelSet.objects.count() == 1


def test_ifdo_annotation_problems_are_named_all_at_once():
    doc = {
        "image-set-header": {"image-set-name": "x", "image-set-uuid": SET_UUID},
        "image-set-items": {
            "a.jpg": {
                "image-annotations": [
                    {"shape": "hexagon", "coordinates": [[1, 2]], "labels": [{"label": "a"}]},
                    {"shape": "rectangle", "coordinates": [[1, 2, 3, 4]], "labels": []},
                    {"shape": "circle", "coordinates": [[1, 2, 3]], "labels": "fish"},
                ]
            },
            "b.jpg": {
                "image-annotations": [
                    {
                        "shape": "single-pixel",
                        "coordinates": [[1, 2]],
                        "labels": [{"label": "a", "confidence": 2, "created-at": "soon"}],
                    }
                ]
            },
        },
    }
    with pytest.raises(IngestError) as refused:
        parse_ifdo(json.dumps(doc), name="dive.json")
    assert [(p.column, p.reason) for p in refused.value.problems] == [
        (
            "image-set-items['a.jpg'].image-annotations[1].shape",
            "'hexagon' is not one of single-pixel, polyline, polygon, circle, rectangle, "
            "ellipse, whole-image",
        ),
        (
            "image-set-items['a.jpg'].image-annotations[2].coordinates",
            "a rectangle has 8 numbers (four corners), not 4",
        ),
        ("image-set-items['a.jpg'].image-annotations[3].labels", "expected a list of labels"),
        (
            "image-set-items['b.jpg'].image-annotations[1].labels[1].confidence",
            "2 is not between 0 and 1",
        ),
    ]
