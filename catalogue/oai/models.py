"""Tables of the OAI-PMH provider (imported into catalogue.models)."""

from __future__ import annotations

from django.db import models

__all__ = ["OaiTombstone"]


class OaiTombstone(models.Model):
    """A set harvesters have seen and may no longer see: deleted, restricted, embargoed
    again or back to draft. Kept for ever (deletedRecord "persistent"); removed only when
    the set is public again, when it is harvested as a live record."""

    uuid = models.UUIDField(unique=True)
    datestamp = models.DateTimeField(help_text="when the set stopped being public")
    # "|instrument:flowcam|modality:flow-imaging|": setSpecs at that time, for selective
    # harvests (a plain text `contains` works on every database).
    set_specs = models.TextField(blank=True)

    class Meta:
        ordering = ["datestamp", "uuid"]
        indexes = [models.Index(fields=["datestamp", "uuid"], name="oai_tombstone_keyset")]

    def __str__(self) -> str:
        return f"deleted {self.uuid} at {self.datestamp:%Y-%m-%dT%H:%M:%SZ}"

    def spec_list(self) -> list[str]:
        return [spec for spec in self.set_specs.split("|") if spec]
