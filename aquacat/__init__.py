"""AquaCat: catalogue and FAIR publishing portal for aquatic image data."""

from .celery import app as celery_app

__all__ = ("celery_app",)
