"""The curators' pages of harvesting: the sources, and one source's runs and errors."""

from __future__ import annotations

from django.shortcuts import render

from catalogue import access
from catalogue.errors import NotAllowed
from catalogue.harvest import selectors


def require_staff(user) -> None:
    if not access.is_staff(user):
        raise NotAllowed("Only staff may see the harvest sources.")


def source_list(request):
    require_staff(request.user)
    return render(request, "harvest/sources.html", {"sources": selectors.sources()})


def source_detail(request, name: str):
    require_staff(request.user)
    return render(request, "harvest/source.html", selectors.source_page(name))
