"""Tasks that belong to the platform rather than to one app."""

import os
import socket

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(name="aquacat.ping")
def ping(token: str) -> dict:
    """Echo a token with the worker's identity, so a caller can prove a round trip."""
    return {"token": token, "host": socket.gethostname(), "pid": os.getpid()}


@shared_task(name="aquacat.clear_sessions")
def clear_sessions() -> int:
    """Remove expired sign-in sessions (scheduled), as `manage.py clearsessions` does."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
