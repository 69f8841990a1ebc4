"""catalogue.services.images: image rows of an ingest written in batches, and sidecar
metadata matched to them by path, then by base name."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.ingest.sidecars import ECOTAXA_TSV, ImageMetadata, SetMetadata, Sidecar
from catalogue.models import Image
from catalogue.services.images import add_image, add_images, apply_sidecars
from tests.catalogue.ingest_samples import image_row

pytestmark = pytest.mark.django_db


def test_a_batch_with_content_already_in_the_set_writes_nothing():
    image_set = services.create_image_set(title="Rows", actor=SYSTEM)
    written = add_images([image_row(image_set, 1), image_row(image_set, 2)])
    assert [image.file_name for image in written] == ["img_1.jpg", "img_2.jpg"]
    again = image_row(image_set, 2, storage_key="elsewhere.jpg")
    with pytest.raises(IntegrityError):
        add_images([image_row(image_set, 3), again])
    assert image_set.images.count() == 2
    with pytest.raises(IntegrityError):
        add_image(again)
    assert add_image(image_row(image_set, 3)).file_name == "img_3.jpg"


def test_sidecar_metadata_matches_by_path_then_base_name():
    image_set = services.create_image_set(title="Sidecars", actor=SYSTEM)
    add_images(
        [
            image_row(image_set, 1, file_name="a/img.jpg"),
            image_row(image_set, 2, file_name="b/img.jpg"),
            image_row(image_set, 3, file_name="c/other.jpg"),
        ]
    )
    sidecar = Sidecar(
        ECOTAXA_TSV,
        SetMetadata(),
        {
            "img.jpg": ImageMetadata(
                "img.jpg",
                captured_at=datetime(2023, 4, 15, 10, 15, tzinfo=UTC),
                latitude=51.5,
                longitude=2.8,
                depth_min=5.0,
                depth_max=10.0,
                fields={"sample_station": "W08"},
                annotation={"category": "Copepoda", "date": date(2023, 5, 1)},
            ),
            "c/other.jpg": ImageMetadata("c/other.jpg", latitude=1.0, depth_min=3.0, depth_max=3.0),
            "missing.jpg": ImageMetadata("missing.jpg"),
        },
        warnings=["row 4: something odd"],
    )
    warnings = apply_sidecars(image_set, [sidecar])
    assert warnings == [
        "ecotaxa-tsv: row 4: something odd",
        "ecotaxa-tsv: no image named 'missing.jpg' in this set",
    ]
    for file_name in ("a/img.jpg", "b/img.jpg"):  # the base name matches both
        image = image_set.images.get(file_name=file_name)
        assert (image.latitude, image.longitude, image.depth) == (51.5, 2.8, 7.5)
        assert image.captured_at == datetime(2023, 4, 15, 10, 15, tzinfo=UTC)
        assert image.fields == {
            "sample_station": "W08",
            "depth_min": 5.0,
            "depth_max": 10.0,
            "annotation": {"category": "Copepoda", "date": "2023-05-01"},
        }
        assert image.revision == 2
    other = image_set.images.get(file_name="c/other.jpg")
    # A latitude without a longitude is no position; one depth leaves no range in fields.
    assert (other.latitude, other.depth, other.fields, other.revision) == (None, 3.0, {}, 2)


def test_no_sidecars_change_nothing():
    image_set = services.create_image_set(title="None", actor=SYSTEM)
    add_images([image_row(image_set, 1)])
    assert apply_sidecars(image_set, []) == []
    assert Image.objects.get(image_set=image_set).revision == 1
