"""Reads of the catalogue. Access rules will be decided here, once."""

from django.db.models import QuerySet

from catalogue.models import ImageSet


def visible_image_sets() -> QuerySet[ImageSet]:
    return ImageSet.objects.all()
