"""Writes to the catalogue: every change goes through a function here."""

from django.db import transaction

from catalogue.models import ImageSet


@transaction.atomic
def create_image_set(*, title: str, description: str = "") -> ImageSet:
    image_set = ImageSet(title=title, description=description)
    image_set.full_clean()
    image_set.save()
    return image_set
