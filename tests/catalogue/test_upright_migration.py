"""The migration that turns the recorded size of JPEGs ingested before sizes were
recorded upright: turned JPEGs (EXIF orientation 5-8) swap width and height, other
rows stay as they are."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from catalogue.access import SYSTEM
from catalogue.models import Image
from catalogue.services import create_image_set

pytestmark = pytest.mark.django_db

upright = importlib.import_module("catalogue.migrations.0010_upright_sizes")


def row(image_set, name: str, media_type: str, exif: dict) -> Image:
    return Image.objects.create(
        image_set=image_set,
        file_name=name,
        storage_key=f"x/{name}",
        sha256=name.ljust(64, "0"),
        size=1,
        media_type=media_type,
        width=400,
        height=100,
        exif=exif,
    )


def test_turned_jpegs_get_their_upright_size():
    image_set = create_image_set(title="Turned", actor=SYSTEM)
    turned = row(image_set, "a", "image/jpeg", {"Orientation": 6})
    straight = row(image_set, "b", "image/jpeg", {"Orientation": 1})
    tiff = row(image_set, "c", "image/tiff", {"Orientation": 8})
    plain = row(image_set, "d", "image/jpeg", {})
    upright.turn_upright(apps, None)
    sizes = {image.pk: (image.width, image.height) for image in Image.objects.all()}
    assert sizes[turned.pk] == (100, 400)
    assert sizes[straight.pk] == sizes[tiff.pk] == sizes[plain.pk] == (400, 100)
    assert Image.objects.get(pk=turned.pk).revision == turned.revision + 1
