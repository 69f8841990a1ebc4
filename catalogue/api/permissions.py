"""Who may call what. Which *objects* a caller may see or change is decided by
catalogue/access.py (and enforced by the services); this module decides token
scopes and sign-in."""

from __future__ import annotations

from rest_framework import permissions

from aquacat.models import ApiToken


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def has_scope(request, scope: str) -> bool:
    """A session (the web pages' sign-in) carries every scope; a token only its own."""
    token = token_of(request)
    return token is None or token.has_scope(scope)


class TokenScope(permissions.BasePermission):
    """Reads are open (selectors hide what the caller may not see) but a token must
    carry "read"; writes need a signed-in caller and, with a token, "write"."""

    message = "This token's scopes do not allow this request."
    anonymous_reads = True  # the schema's security lists `{}` for reads (catalogue/api/schema.py)

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return has_scope(request, "read")
        if not (request.user and request.user.is_authenticated):
            return False
        return has_scope(request, getattr(view, "required_scope", "write"))
