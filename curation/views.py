"""Curator pages: a curator's sets, create and edit a set, upload files.

Access as the API decides it: a set the user may not see is a 404, one they may
see but not change is a 403, and a published set is immutable (409 on a write).
Every write goes through catalogue.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from catalogue import selectors as catalogue_selectors
from catalogue import services
from catalogue.models import ImageSet, State
from curation import selectors
from curation.completeness import completeness
from curation.forms import ROWS, CuratorsForm, SetEditor

IMMUTABLE = (
    "This set is published, and a published set is immutable: its DOI promises that the "
    "metadata and files cited stay as they are. Publish a new version to change it."
)


@login_required
def my_sets(request):
    rows = [
        {"set": image_set, "completeness": completeness(image_set)}
        for image_set in selectors.my_image_sets(request.user)
    ]
    return render(request, "curation/my_sets.html", {"rows": rows})


def editable_set(request, uuid) -> ImageSet:
    image_set = selectors.image_set_for(request.user, uuid)
    if image_set is None:
        raise Http404("No image set with this id (or none you may see).")
    if not catalogue_selectors.can_edit_image_set(request.user, image_set):
        raise PermissionDenied("Only its owner, curators and staff may change this set.")
    return image_set


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
                image_set = services.create_image_set(owner=request.user, **editor.model_fields())
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
    image_set = editable_set(request, uuid)
    if image_set.state == State.PUBLISHED:
        return render(
            request,
            "curation/published.html",
            {"image_set": image_set, "reason": IMMUTABLE, "completeness": completeness(image_set)},
            status=409 if request.method == "POST" else 200,
        )
    if request.method == "POST":
        editor = SetEditor(request.POST, image_set)
        if editor.is_valid():
            changes = editor.changed_fields()
            try:
                if changes:
                    services.update_image_set(image_set, **changes)
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
    image_set = editable_set(request, uuid)
    context = {
        "image_set": image_set,
        "api_url": reverse("api:image-set-upload", args=[image_set.pk]),
        "report": None,
    }
    if image_set.state == State.PUBLISHED:
        context["reason"] = IMMUTABLE
        return render(
            request,
            "curation/upload.html",
            context,
            status=409 if request.method == "POST" else 200,
        )
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files:
            context["error"] = "Choose one or more files to upload."
            return render(request, "curation/upload.html", context)
        batch = services.ingest(image_set, [files])
        context["report"] = batch
    return render(request, "curation/upload.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def curators(request, uuid):
    """Who curates a set. Its curators see the list; its owner and staff change it."""
    image_set = editable_set(request, uuid)
    may_change = request.user.is_staff or image_set.owner_id == request.user.pk
    current = list(image_set.curators.order_by("username"))
    form = CuratorsForm(
        request.POST if request.method == "POST" else None,
        owner=image_set.owner,
        initial={"usernames": "\n".join(u.get_username() for u in current)},
    )
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Only the set's owner and staff may change its curators.")
        if form.is_valid():
            services.set_curators(image_set, form.cleaned_data["usernames"])
            messages.success(request, "Curators saved.")
            return redirect("curation:curators", uuid=image_set.uuid)
    context = {"image_set": image_set, "form": form, "curators": current, "may_change": may_change}
    return render(request, "curation/curators.html", context)
