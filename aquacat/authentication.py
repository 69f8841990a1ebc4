"""DRF authentication with AquaCat API tokens: `Authorization: Bearer <token>`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from aquacat import tokens


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the token as: Bearer <token>."))
        try:
            secret = header[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from error
        token = tokens.find_token(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        if token.revoked is not None:
            raise exceptions.AuthenticationFailed(_("The token has been revoked."))
        if not token.is_active():
            raise exceptions.AuthenticationFailed(_("The token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token's user is inactive."))
        tokens.touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
