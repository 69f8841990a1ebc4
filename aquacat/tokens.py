"""Making, finding and revoking API tokens (the writes and reads of `ApiToken`)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from aquacat.models import ApiToken, Scope

TOKEN_PREFIX = "aqc_"  # noqa: S105 - a marker that makes leaked tokens easy to scan for


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def create_token(
    *, user, name: str, scopes: Iterable[str] = ("read",), expires: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is not stored and cannot be shown again."""
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValidationError(
            {"scopes": f"choose from {', '.join(Scope.values)}; got {', '.join(scopes) or 'none'}"}
        )
    if not name.strip():
        raise ValidationError({"name": "a token needs a name"})
    if ApiToken.objects.filter(user=user, name=name).exists():
        raise ValidationError({"name": f"{user} already has a token named {name!r}"})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_token(secret),
        scopes=scopes,
        expires=expires,
    )
    return token, secret


def find_token(secret: str) -> ApiToken | None:
    """The token with this secret, active or not (the caller decides what to refuse)."""
    return ApiToken.objects.select_related("user").filter(key_hash=hash_token(secret)).first()


def revoke_token(token: ApiToken) -> ApiToken:
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
    return token


def touch(token: ApiToken, now=None) -> None:
    """Note the last use, at most once a minute, so that reads do not all write."""
    now = now or timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


def tokens_of(user):
    """The user's tokens, newest first, revoked and expired ones included (the audit trail)."""
    return ApiToken.objects.filter(user=user).order_by("-created", "-pk")
