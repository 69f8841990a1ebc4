"""Signals other apps listen to, so the catalogue never imports them."""

from django.dispatch import Signal

# Sent after an ingest added images to a set and committed; sender: the ImageSet class,
# image_set: the set. The inference app queues embeddings for the new images.
images_added = Signal()

# Sent inside the transaction that made the draft of a set's next version; sender: the
# ImageSet class, source: the published set, draft: the new draft, images: pairs of
# (source image id, draft image id). Curation copies the annotations onto the draft.
version_drafted = Signal()

# Sent inside the transaction that applies one sidecar to a set's images; sender: the
# ImageSet class, image_set: the set, sidecar: the sidecar's file name, found: pairs of
# (Image, list of catalogue.ingest.sidecars.AnnotationRecord), corrected: ids of the
# images already in the set that the sidecar corrects. Curation stores them as
# annotation rows (changing, on corrected images, the earlier imported ones). A
# receiver refuses the whole sidecar by raising IngestError (naming the sidecar and
# every problem): the transaction is undone and the ingest reports it.
annotations_found = Signal()

# Sent after the search index was given image documents (catalogue/search/outbox.py);
# sender: the Image class, documents: the image documents written, gone: ids of the
# images whose documents were deleted. The inference app keeps the search engine's
# vectors ("more like this") under the same visibility.
image_documents_written = Signal()
