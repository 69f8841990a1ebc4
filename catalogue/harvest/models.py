"""Tables of harvesting: the sources and their runs (imported by catalogue/models.py).

An external set is an ImageSet with a `harvest_source` (catalogue/models.py holds
its fields: source, remote identifier, landing page, tombstone)."""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import RegexValidator
from django.db import models

__all__ = ["HarvestRun", "HarvestSource"]


class HarvestSource(models.Model):
    """A remote catalogue whose records become external sets here."""

    class Kind(models.TextChoices):
        OAI = "oai", "OAI-PMH"
        INVENIO = "invenio", "InvenioRDM REST"
        AQUACAT = "aquacat", "AquaCat REST"

    name = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", "lower-case letters, digits, -, _")],
        help_text="shown as the set's source in search",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    base_url = models.URLField(max_length=500)
    # OAI-PMH setSpec (a Zenodo or InvenioRDM community, an AquaCat research infrastructure).
    set_spec = models.CharField(max_length=200, blank=True)
    # InvenioRDM REST: a community (slug or id) and a search query.
    community = models.CharField(max_length=200, blank=True)
    query = models.CharField(max_length=500, blank=True)
    # Chosen from ListMetadataFormats on the first run: oai_datacite where offered, else oai_dc.
    metadata_prefix = models.CharField(max_length=64, blank=True)
    # The responseDate of the last complete harvest: the next one asks from= it.
    last_datestamp = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    interval = models.DurationField(default=timedelta(days=1))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()} {self.base_url})"


class HarvestRun(models.Model):
    """One harvest of a source: its counts and the records it could not take."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    # The datestamp this run asked from (None: the whole source).
    from_datestamp = models.DateTimeField(null=True, blank=True)
    # A full list: records of the source it did not meet were deleted there (how a
    # provider that keeps no deleted records, as InvenioRDM, tells of deletions).
    full = models.BooleanField(default=False)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # Images of external sets written (new or changed): AquaCat sources bring them.
    images = models.PositiveIntegerField(default=0)
    # [{"identifier", "reason"}]: records skipped, and why; a failed run's own reason
    # has the identifier "" (the source could not be harvested).
    errors = models.JSONField(default=list, blank=True)
    # How many times the list was restarted (an expired or bad resumption token).
    restarts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started"]
        indexes = [models.Index(fields=["source", "started"], name="harvestrun_source_started")]

    def __str__(self) -> str:
        return f"harvest {self.pk} of {self.source_id}: {self.status}"

    def skip(self, identifier: str, reason: str) -> None:
        """A record not taken, and why (saved with the run)."""
        self.skipped += 1
        self.errors.append({"identifier": identifier, "reason": reason})
