"""Tables of resumable uploads; imported by catalogue/models.py so Django sees them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["Upload"]


class Upload(models.Model):
    """One file on its way into a set: received bytes (or S3 parts), then its ingest.

    Only its owner sees it (any other id is unknown); the staging file or the S3
    multipart upload is removed when it is cancelled, fails, expires or is ingested.
    """

    class Backend(models.TextChoices):
        LOCAL = "local", "Chunks to the server"
        S3 = "s3", "Presigned multipart upload to S3"

    class State(models.TextChoices):
        UPLOADING = "uploading", "Uploading"
        QUEUED = "queued", "Waiting for a worker"
        INGESTING = "ingesting", "Ingesting"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    image_set = models.ForeignKey(
        "catalogue.ImageSet", on_delete=models.CASCADE, related_name="uploads"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    file_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, help_text="of the whole file, as the client says")
    without_metadata = models.BooleanField(default=False)
    # How its videos are sampled into frames (recordings.frames.chosen_sampling), given
    # at the start or the completion; None: RECORDING_FRAMES applies.
    frames = models.JSONField(null=True, blank=True)
    backend = models.CharField(max_length=8, choices=Backend.choices)
    # local: bytes received so far; S3: counted from the parts S3 lists
    received = models.BigIntegerField(default=0)
    part_size = models.BigIntegerField(default=0)
    staging = models.CharField(max_length=1000, help_text="local path or S3 key")
    s3_bucket = models.CharField(max_length=255, blank=True)
    s3_upload_id = models.CharField(max_length=1000, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.UPLOADING)
    error = models.TextField(blank=True)
    files_expected = models.PositiveIntegerField(null=True, blank=True)
    batch = models.ForeignKey(
        "catalogue.IngestBatch", null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)
    changed = models.DateTimeField(auto_now=True)
    expires = models.DateTimeField(help_text="an upload idle past this is removed")

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["state", "expires"])]

    def __str__(self) -> str:
        return f"upload {self.uuid} of {self.file_name}: {self.state}"
