"""The Celery application: tasks run in worker processes, never in the request."""

import os

from celery import Celery
from django.conf import settings
from kombu.transport import sqlalchemy as embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aquacat.settings")

app = Celery("aquacat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["aquacat", "catalogue", "curation", "inference"])

# kombu hands every transport option of the SQLAlchemy transport on to create_engine,
# so the embedded broker's polling interval is set on its transport class instead.
embedded_broker.Transport.polling_interval = settings.EMBEDDED_BROKER_POLLING_SECONDS
