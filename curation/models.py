"""Curation tables: deposits (a set's publication to a target, step by step).

Label sets, annotations and review events come with the curation issue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalogue.models import ImageSet


class Deposit(models.Model):
    """One publication of one version of a set to one target (a repository, or none:
    the embedded default freezes the set and its landing page is its identifier).

    Persisted step by step, so a worker that dies at any step resumes where it
    stopped and never makes a second record or DOI."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting for the repository"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"

    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="deposits")
    target = models.CharField(max_length=64, blank=True, help_text="empty: no repository")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # [{"step", "at", "detail"}], in order: what has been done, for the curator and for resuming.
    steps = models.JSONField(default=list, blank=True)
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    remote_id = models.CharField(max_length=200, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    concept_doi = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    # The remote's own field messages when it refused the record: {field: [messages]}.
    errors = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deposits",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            # Two publish clicks make one deposit: at most one that has not failed per set.
            models.UniqueConstraint(
                fields=["image_set"],
                condition=~Q(state="failed"),
                name="deposit_one_live_per_set",
            ),
            models.CheckConstraint(
                condition=Q(files_done__lte=models.F("files_total")),
                name="deposit_files_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"deposit {self.pk} of set {self.image_set_id} to {self.target or 'no target'}"

    def step_done(self, name: str) -> bool:
        return any(step.get("step") == name for step in self.steps)
