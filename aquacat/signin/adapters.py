"""AquaCat's hooks into django-allauth's provider sign-in (SOCIALACCOUNT_ADAPTER)."""

from __future__ import annotations

import logging

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base.constants import AuthProcess

from aquacat.signin import identity

logger = logging.getLogger(__name__)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin: SocialLogin) -> None:
        """A first sign-in through a provider joins the account it belongs to
        (identity.existing_user); every sign-in refreshes the ORCID iD. Linking from
        the connections page joins the signed-in account, as allauth then does."""
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            if not sociallogin.is_existing:
                identity.record_orcid(request.user, identity.orcid_of(sociallogin))
            return
        if not sociallogin.is_existing:
            user = identity.existing_user(sociallogin)
            if user is not None:
                sociallogin.connect(request, user)
        if sociallogin.is_existing:
            identity.record_orcid(sociallogin.user, identity.orcid_of(sociallogin))

    def save_user(self, request, sociallogin: SocialLogin, form=None):
        user = super().save_user(request, sociallogin, form)
        identity.record_orcid(user, identity.orcid_of(sociallogin))
        return user

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        """Say why in the log (the page only says the sign-in failed): a cancelled
        sign-in, a provider's error, or a token refused (wrong audience, expired)."""
        cause = exception.__cause__ if exception is not None else None
        logger.warning(
            "sign-in through %s failed: %s %s %s",
            getattr(provider, "id", provider),
            error,
            repr(exception) if exception is not None else "",
            repr(cause) if cause is not None else "",
        )
        super().on_authentication_error(request, provider, error, exception, extra_context)
