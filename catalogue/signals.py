"""Signals other apps listen to, so the catalogue never imports them."""

from django.dispatch import Signal

# Sent after an ingest added images to a set and committed; sender: the ImageSet class,
# image_set: the set. The inference app queues embeddings for the new images.
images_added = Signal()
