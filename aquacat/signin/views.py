"""The provider sign-in button's view: allauth's, with an unreachable provider as a
502 page that names it (allauth reads the provider's discovery document here and
lets a network error escape as a 500)."""

from __future__ import annotations

import logging

import requests
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.conf import settings
from django.shortcuts import render

logger = logging.getLogger(__name__)


def provider_name(provider_id: str) -> str:
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    return next((app["name"] for app in apps if app["provider_id"] == provider_id), provider_id)


def login(request, provider_id: str):
    try:
        return oidc_views.login(request, provider_id)
    except (requests.RequestException, ValueError) as error:
        # ValueError: a discovery document that is not JSON.
        logger.warning("sign-in provider %s unavailable: %r", provider_id, error)
        context = {"provider": provider_name(provider_id)}
        return render(request, "registration/provider_unavailable.html", context, status=502)
