"""What the inference app does when the catalogue changes."""

from __future__ import annotations

import logging

from django.conf import settings

log = logging.getLogger(__name__)


def embed_new_images(sender, image_set, **kwargs) -> None:
    """Queue embeddings ("more like this") for a set's images that lack them. The
    ingest has succeeded already: a broker that is down is logged, not raised, and
    `inference.services.start_embedding()` catches up later."""
    if not settings.INFERENCE_EMBED_NEW_IMAGES:
        return
    # Deferred: the services load torch, which a web process must not pay for at start.
    from inference.services import start_embedding  # noqa: PLC0415 - keeps torch out of start-up

    try:
        start_embedding(image_set.images.values_list("pk", flat=True))
    except Exception:
        log.exception("could not queue embeddings for set %s", image_set.pk)
