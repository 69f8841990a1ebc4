"""Curator pages: a curator's sets, create and edit a set, upload files.

Access is decided by catalogue/access.py and enforced by catalogue.services;
their refusals become 404, 403 and 409 pages in aquacat/middleware.py. A
published set's editor pages show it read-only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from catalogue import access, services
from catalogue import selectors as catalogue_selectors
from catalogue.access import Action
from catalogue.errors import Immutable
from catalogue.models import ImageSet
from curation import selectors
from curation.completeness import completeness
from curation.forms import ROWS, CuratorsForm, SetEditor

IMMUTABLE = access.IMMUTABLE


@login_required
def my_sets(request):
    rows = [
        {"set": image_set, "completeness": completeness(image_set)}
        for image_set in selectors.my_image_sets(request.user)
    ]
    return render(request, "curation/my_sets.html", {"rows": rows})


def set_for_editor(request, uuid) -> tuple[ImageSet, bool]:
    """The set an editor page shows, and whether it is frozen (published): hidden is
    NotVisible, not the user's to change NotAllowed; a frozen set is shown read-only,
    and a write to it is refused by the service (Immutable)."""
    try:
        return catalogue_selectors.image_set_for(request.user, Action.EDIT, uuid=uuid), False
    except Immutable:
        return catalogue_selectors.image_set_for(request.user, Action.SEE_CURATORS, uuid=uuid), True


def render_editor(request, editor: SetEditor, image_set: ImageSet | None):
    """The form page; with errors too it answers 200, as Django's form views do (browsers
    log a 4xx document as a console error)."""
    editor.mark_invalid()
    formsets = [
        {"prefix": prefix, "formset": editor.formsets[prefix], "legend": legend, "one": one}
        for prefix, (_cls, legend, one) in ROWS.items()
    ]
    context = {
        "editor": editor,
        "form": editor.form,
        "rows": {row["prefix"]: row for row in formsets},
        "errors": editor.error_summary() if editor.form.is_bound else [],
        "image_set": image_set,
        "completeness": completeness(image_set) if image_set else None,
    }
    return render(request, "curation/edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create_set(request):
    if request.method == "POST":
        editor = SetEditor(request.POST)
        if editor.is_valid():
            try:
                image_set = services.create_image_set(actor=request.user, **editor.model_fields())
            except ValidationError as error:
                editor.apply_model_errors(error)
            else:
                messages.success(request, f"Created “{image_set.title}”. Now add images.")
                return redirect("curation:edit-set", uuid=image_set.uuid)
        return render_editor(request, editor, None)
    return render_editor(request, SetEditor(), None)


@login_required
@require_http_methods(["GET", "POST"])
def edit_set(request, uuid):
    image_set, frozen = set_for_editor(request, uuid)
    if frozen:
        if request.method == "POST":
            access.require(request.user, Action.EDIT, image_set)  # refused: 409
        return render(
            request,
            "curation/published.html",
            {"image_set": image_set, "reason": IMMUTABLE, "completeness": completeness(image_set)},
        )
    if request.method == "POST":
        editor = SetEditor(request.POST, image_set)
        if editor.is_valid():
            changes = editor.changed_fields()
            try:
                if changes:
                    services.update_image_set(image_set, actor=request.user, **changes)
            except ValidationError as error:
                editor.apply_model_errors(error)
                # The failed update changed the object in memory only: show what is stored.
                editor.image_set = image_set = ImageSet.objects.get(pk=image_set.pk)
            else:
                messages.success(request, "Saved." if changes else "Nothing changed.")
                return redirect("curation:edit-set", uuid=image_set.uuid)
        return render_editor(request, editor, image_set)
    return render_editor(request, SetEditor(None, image_set), image_set)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, uuid):
    """The drag-and-drop page (its script posts each file to the API's upload endpoint);
    without JavaScript its form posts here and the files are ingested in the request."""
    image_set, frozen = set_for_editor(request, uuid)
    context = {
        "image_set": image_set,
        "api_url": reverse("api:image-set-upload", args=[image_set.pk]),
        "report": None,
        "reason": IMMUTABLE if frozen else None,
    }
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files and not frozen:
            context["error"] = "Choose one or more files to upload."
            return render(request, "curation/upload.html", context)
        batch = services.ingest(image_set, [files], actor=request.user)
        context["report"] = batch
    return render(request, "curation/upload.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def curators(request, uuid):
    """Who curates a set. Its curators see the list; its owner and staff change it."""
    image_set = catalogue_selectors.image_set_for(request.user, Action.SEE_CURATORS, uuid=uuid)
    may_change = access.permitted(request.user, Action.MANAGE_CURATORS, image_set)
    current = list(image_set.curators.order_by("username"))
    form = CuratorsForm(
        request.POST if request.method == "POST" else None,
        owner=image_set.owner,
        initial={"usernames": "\n".join(u.get_username() for u in current)},
    )
    if request.method == "POST":
        access.require(request.user, Action.MANAGE_CURATORS, image_set)
        if form.is_valid():
            services.set_curators(image_set, form.cleaned_data["usernames"], actor=request.user)
            messages.success(request, "Curators saved.")
            return redirect("curation:curators", uuid=image_set.uuid)
    context = {"image_set": image_set, "form": form, "curators": current, "may_change": may_change}
    return render(request, "curation/curators.html", context)
