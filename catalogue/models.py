"""Catalogue tables."""

from django.db import models


class ImageSet(models.Model):
    """A published or draft collection of aquatic images (a dataset)."""

    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.title
