"""The curators' pages of harvesting: the sources, and one source's runs and errors."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalogue import access
from catalogue.errors import FieldError, NotAllowed, WrongState
from catalogue.harvest import selectors
from catalogue.models import ImageSet
from catalogue.services import external_copies


def require_staff(user) -> None:
    if not access.is_staff(user):
        raise NotAllowed("Only staff may see the harvest sources.")


def source_list(request):
    require_staff(request.user)
    return render(request, "harvest/sources.html", {"sources": selectors.sources()})


def source_detail(request, name: str):
    require_staff(request.user)
    return render(request, "harvest/source.html", selectors.source_page(name))


@require_POST
def copy_files(request, name: str, uuid):
    """A curator's copy of an external set's files here (a worker does it; the source
    page shows its progress and report)."""
    image_set = get_object_or_404(ImageSet, harvest_source__name=name, uuid=uuid)
    try:
        batch = external_copies.request_copy(image_set, actor=request.user)
    except (WrongState, FieldError) as refused:
        messages.error(request, f"{image_set.title}: {refused}")
    else:
        messages.success(request, f"Copying {batch.total} files of {image_set.title}.")
    return redirect("catalogue:harvest:source", name=name)
