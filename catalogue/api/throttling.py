"""Rate limits per token and per address, rates read from settings on each request."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from catalogue.api.permissions import token_of


class SettingsRateThrottle(SimpleRateThrottle):
    """DRF binds its rates at import; these read `API_THROTTLE_RATES` when asked."""

    def __init__(self):  # no rate lookup here: it happens per request
        pass

    def allow_request(self, request, view):
        self.rate = settings.API_THROTTLE_RATES.get(self.scope)
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class TokenRateThrottle(SettingsRateThrottle):
    """Requests made with a token, counted per token; signed-in browser sessions (the
    web UI's uploads, for one) are counted per user at the same rate."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = token_of(request)
        if token is not None:
            return self.cache_format % {"scope": self.scope, "ident": token.pk}
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"user-{request.user.pk}"}
        return None


class AddressRateThrottle(SettingsRateThrottle):
    """Anonymous requests, counted per address (many people may share one, behind
    a proxy or a campus NAT, so signed-in users are counted apart)."""

    scope = "address"

    def get_cache_key(self, request, view):
        if token_of(request) is not None or (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
