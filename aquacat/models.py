"""Project-wide tables: API tokens, and the profile that sign-in fills.

A token's secret is shown once, when it is made; only its sha256 is stored, so
a copy of the database gives nobody a usable token. Tokens are named, scoped,
may expire, and are revoked rather than deleted so that the audit trail stays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    PUBLISH = "publish", "Publish"


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the token, to recognise it in lists; not enough to use it.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the token, hex")
    scopes = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="apitoken_name_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user_id}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class Profile(models.Model):
    """What sign-in learns about a person beyond Django's user: their ORCID iD, which
    links later sign-ins to the same account and fills their creator entry."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # The bare iD (0000-0002-1825-0097), as creators hold it.
    orcid = models.CharField(max_length=19, unique=True, null=True, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"
