"""The Celery application: tasks run in worker processes, never in the request."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")

app = Celery("aquacat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["aquacat", "catalogue", "curation", "inference"])
