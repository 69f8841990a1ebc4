"""The Recording table: an audio or video file of a set, and what it was read to be.

Its derived images are `Image` rows naming it (`Image.recording`), each with its
place in the recording (`recording_start`, `recording_end`, seconds) and the axes
that turn its pixels into time and frequency (`Image.recording_axes`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

__all__ = ["Recording"]


class Recording(models.Model):
    """One hydrophone or video recording of a set; the images derived from it name it."""

    class Kind(models.TextChoices):
        AUDIO = "audio", "Audio"
        VIDEO = "video", "Video"

    image_set = models.ForeignKey(
        "catalogue.ImageSet", on_delete=models.CASCADE, related_name="recordings"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file_name = models.CharField(max_length=1000, help_text="name within the source, NFC")
    storage_key = models.CharField(max_length=1000)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    media_type = models.CharField(max_length=64)
    codec = models.CharField(max_length=64, blank=True)
    duration = models.FloatField(help_text="seconds")
    sample_rate = models.PositiveIntegerField(null=True, blank=True, help_text="audio, Hz")
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True, help_text="video, pixels")
    height = models.PositiveIntegerField(null=True, blank=True, help_text="video, pixels")
    frame_rate = models.FloatField(null=True, blank=True, help_text="video, frames per second")
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    # When the recording began, when its file says (container tags, a time in its name).
    started_at = models.DateTimeField(null=True, blank=True)
    # How its images were derived: the spectrogram's window, hop, scale and dB
    # reference, or the frame sampling's rate or scene threshold (spectrograms.py, frames.py).
    derivation = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["image_set", "file_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["image_set", "sha256"], name="recording_sha256_once_per_set"
            ),
            models.CheckConstraint(condition=Q(duration__gte=0), name="recording_duration_sign"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.kind}, {self.duration:.1f} s)"
