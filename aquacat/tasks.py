"""Tasks that belong to the platform rather than to one app."""

import os
import socket

from celery import shared_task


@shared_task(name="aquacat.ping")
def ping(token: str) -> dict:
    """Echo a token with the worker's identity, so a caller can prove a round trip."""
    return {"token": token, "host": socket.gethostname(), "pid": os.getpid()}
