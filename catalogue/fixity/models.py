"""The fixity record of each stored file; imported by catalogue/models.py."""

from __future__ import annotations

from django.db import models

__all__ = ["FileCheck"]


class FileCheck(models.Model):
    """The last check of one stored file (several images may share it: versions share
    their bytes). An original's expected sha256 is its image's or recording's; a
    thumbnail's is the one its first check read (nothing recorded it before)."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original"
        THUMBNAIL_SMALL = "small", "Small thumbnail"
        THUMBNAIL_MEDIUM = "medium", "Medium thumbnail"

    class Result(models.TextChoices):
        OK = "ok", "OK: the bytes hash as expected"
        BASELINE = "baseline", "First read: its hash is recorded"
        MISMATCH = "mismatch", "Mismatch: the bytes changed"
        MISSING = "missing", "Missing from the store"
        UNREADABLE = "unreadable", "Unreadable"

    storage_key = models.CharField(max_length=500, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    expected_sha256 = models.CharField(max_length=64, blank=True)
    actual_sha256 = models.CharField(max_length=64, blank=True)
    result = models.CharField(max_length=12, choices=Result.choices, blank=True)
    detail = models.TextField(blank=True)
    checked = models.DateTimeField(null=True, blank=True, help_text="when it was last read")
    checks = models.PositiveIntegerField(default=0)
    first_problem = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["checked"], name="filecheck_rota"),
            models.Index(fields=["result"], name="filecheck_result"),
        ]

    def __str__(self) -> str:
        return f"{self.storage_key}: {self.result or 'not checked yet'}"
