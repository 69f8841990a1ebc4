"""Curator pages: a curator's sets, create and edit a set, upload files, publish a
set and follow its deposit, start a new version of a published set.

Access is decided by catalogue/access.py and enforced by catalogue.services;
their refusals become 404, 403 and 409 pages in aquacat/middleware.py. A
published set's editor pages show it read-only.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from aquacat.signin.identity import creator_entry
from catalogue import access, services
from catalogue import selectors as catalogue_selectors
from catalogue.access import Action
from catalogue.errors import FieldError, Immutable
from catalogue.models import ImageSet, State
from catalogue.recordings.frames import chosen_sampling, described_sampling
from catalogue.recordings.limits import setting as recording_setting
from catalogue.services.versions import draft_of_next_version
from catalogue.uploads import selectors as upload_selectors
from catalogue.uploads import services as upload_services
from catalogue.uploads.models import Upload
from catalogue.uploads.storage import ChunkRefused
from curation import repositories, review_selectors, selectors
from curation.completeness import completeness
from curation.forms import ROWS, ImageSetForm, SetEditor
from curation.models import Deposit
from curation.services import deposits


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
        return catalogue_selectors.image_set_for(request.user, Action.SEE_CURATION, uuid=uuid), True


def frozen_reason(image_set: ImageSet) -> str:
    """Why a frozen set is read-only: published, or frozen while its deposit runs."""
    return access.BEING_PUBLISHED if image_set.state == State.PUBLISHING else access.IMMUTABLE


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
        "summary": review_selectors.annotation_summary(image_set) if image_set else None,
        "may_publish": image_set is not None
        and access.permitted(request.user, Action.PUBLISH, image_set),
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
    return render_editor(request, SetEditor(creator=creator_entry(request.user)), None)


@login_required
@require_http_methods(["GET", "POST"])
def edit_set(request, uuid):
    image_set, frozen = set_for_editor(request, uuid)
    if frozen:
        if request.method == "POST":
            access.require(request.user, Action.EDIT, image_set)  # refused: 409
        context = {
            "image_set": image_set,
            "reason": frozen_reason(image_set),
            "completeness": completeness(image_set),
            "summary": review_selectors.annotation_summary(image_set),
            "deposit": deposits.live_deposit(image_set),
            "may_new_version": access.permitted(request.user, Action.NEW_VERSION, image_set),
            "next_draft": visible_next_draft(request.user, image_set),
        }
        return render(request, "curation/published.html", context)
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
        # Files over one part go resumably (catalogue/uploads/), ingested by a worker.
        "uploads_url": reverse("api:image-set-uploads", args=[image_set.pk]),
        "resumable_from": settings.UPLOAD_PART_BYTES,
        "upload_expiry_hours": settings.UPLOAD_EXPIRY_HOURS,
        "report": None,
        "reason": frozen_reason(image_set) if frozen else None,
        "default_sampling": described_sampling(recording_setting("RECORDING_FRAMES")),
    }
    if request.method == "POST" and request.POST.get("cancel"):
        return cancel_unfinished_upload(request, image_set, request.POST["cancel"])
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files and not frozen:
            context["error"] = "Choose one or more files to upload."
            return render(request, "curation/upload.html", context)
        without_metadata = request.POST.get("without_metadata") == "on"
        frames, wrong = upload_sampling(request.POST)
        if wrong:
            context["error"] = "; ".join(f"{field}: {reason}" for field, reason in wrong.items())
            context["sampling"] = request.POST
            return render(request, "curation/upload.html", context, status=400)
        if sum(received.size for received in files) > settings.UPLOAD_IN_REQUEST_MAX_BYTES:
            # Too large to ingest while the browser waits: a worker does it, and this
            # page (refreshing itself meanwhile) lists its progress and its counts.
            for received in files:
                upload_services.stage_received_file(
                    image_set,
                    actor=request.user,
                    received=received,
                    without_metadata=without_metadata,
                    frames=frames,
                )
            return redirect("curation:upload", uuid=image_set.uuid)
        batch = services.ingest(
            image_set,
            [files],
            actor=request.user,
            without_metadata=without_metadata,
            frames=frames,
        )
        context["report"] = batch
    context["unfinished_uploads"] = upload_selectors.unfinished_uploads(request.user, image_set)
    context["worker_uploads"] = upload_selectors.worker_uploads(request.user, image_set)
    context["in_progress"] = any(
        row["upload"].state in ("queued", "ingesting") for row in context["worker_uploads"]
    )
    return render(request, "curation/upload.html", context)


def upload_sampling(form) -> tuple[dict | None, dict[str, str]]:
    """The frame sampling the upload form chose for videos (frames.chosen_sampling)."""
    numbers: dict[str, float | None] = {}
    wrong: dict[str, str] = {}
    for field in ("frame_rate", "scene_threshold"):
        text = form.get(field, "").strip()
        try:
            numbers[field] = float(text) if text else None
        except ValueError:
            numbers[field], wrong[field] = None, f"{text!r} is not a number"
    chosen, problems = chosen_sampling(numbers["frame_rate"], numbers["scene_threshold"])
    return chosen, {**problems, **wrong}


def cancel_unfinished_upload(request, image_set, upload_id):
    """The cancel button of an upload left unfinished (a closed tab, a lost connection)."""
    try:
        upload = upload_selectors.own_upload(request.user, upload_id)
        if upload.image_set_id != image_set.pk:
            raise Upload.DoesNotExist
        upload_services.cancel_upload(upload, actor=request.user)
    except (Upload.DoesNotExist, ChunkRefused):
        messages.error(request, "That upload is no longer open.")
    else:
        messages.success(request, f"The upload of {upload.file_name} is cancelled.")
    return redirect("curation:upload", uuid=image_set.uuid)


# --- publishing: the checklist, the deposit, new versions --------------------------------

#: Names for the checklist's fields that are not a control of the set form.
PROBLEM_LABELS = {
    "id_title": "Title",
    "images": "Images",
    "target": "Publishing target",
    NON_FIELD_ERRORS: "The set",
}
ACTIVE_DEPOSIT = {Deposit.State.QUEUED, Deposit.State.RUNNING, Deposit.State.WAITING}


def visible_next_draft(user, image_set: ImageSet) -> ImageSet | None:
    draft = draft_of_next_version(image_set)
    if draft is None or not access.allowed(user, Action.SEE_CURATION, draft):
        return None
    return draft


def problem_link(image_set: ImageSet, field: str) -> tuple[str, str]:
    """(label, href) of a checklist problem: the control on the edit page that fixes it
    (as the completeness block links), the upload page for images, this page's target."""
    edit = reverse("curation:edit-set", args=[image_set.uuid])
    if field == "images":
        return PROBLEM_LABELS[field], reverse("curation:upload", args=[image_set.uuid])
    if field == "target":
        return PROBLEM_LABELS[field], "#target"
    if field in ROWS:
        return ROWS[field][1], f"{edit}#{field}"
    name = field.removeprefix("id_")
    form_field = ImageSetForm.base_fields.get(name)
    if form_field is not None or field.startswith("id_"):
        label = PROBLEM_LABELS.get(field) or (form_field.label if form_field else None)
        return str(label or name.replace("_", " ").capitalize()), f"{edit}#id_{name}"
    return PROBLEM_LABELS.get(field, field.replace("_", " ").capitalize()), edit


def problem_rows(image_set: ImageSet, problems: dict[str, list[str]]) -> list[dict]:
    rows = []
    for field, reasons in problems.items():
        label, href = problem_link(image_set, field)
        rows += [{"field": field, "label": label, "href": href, "message": m} for m in reasons]
    return rows


def preview_problems(image_set: ImageSet, target: str | None) -> dict[str, list[str]]:
    """What `publish()` would refuse now: the checklist, and what the target (the one
    chosen, or the only one configured) cannot accept."""
    problems = deposits.checklist(image_set)
    try:
        chosen = repositories.target_for(target)
    except FieldError:
        return problems  # several targets and none chosen yet: the form asks
    for name, reasons in chosen.refuses(image_set).items():
        problems.setdefault(name, []).extend(reasons)
    return problems


def target_choices() -> list[dict]:
    return [
        {"name": name, "kind": options.get("kind", ""), "id": f"target-{index}"}
        for index, (name, options) in enumerate(sorted(repositories.configured().items()))
    ]


@login_required
@require_http_methods(["GET", "POST"])
def publish(request, uuid):
    """The checklist and the publish form of a draft; a frozen set links to its deposit
    and landing page instead. Publishing answers with the deposit page."""
    image_set = catalogue_selectors.image_set_for(request.user, Action.SEE_CURATION, uuid=uuid)
    targets = target_choices()
    chosen = request.POST.get("target") or None
    if chosen is None and len(targets) == 1:
        chosen = targets[0]["name"]
    errors = []  # the problems of a refused publish, shown as a summary
    if request.method == "POST":
        try:
            deposit = deposits.publish(image_set, actor=request.user, target=chosen)
        except ValidationError as error:
            found = error.message_dict if hasattr(error, "error_dict") else {}
            errors = problem_rows(image_set, found or {NON_FIELD_ERRORS: error.messages})
        except FieldError as error:
            errors = problem_rows(image_set, {error.field: [error.reason]})
        else:  # the deposit page says how it goes: no message needed
            return redirect("curation:deposit", pk=deposit.pk)
    elif image_set.state == State.DRAFT:
        access.require(request.user, Action.PUBLISH, image_set)
    frozen = image_set.state != State.DRAFT
    context = {
        "image_set": image_set,
        "frozen": frozen,
        "reason": frozen_reason(image_set) if frozen else None,
        "deposit": deposits.live_deposit(image_set),
        "failed": image_set.deposits.filter(state=Deposit.State.FAILED).first(),
        "completeness": completeness(image_set),
        "edit_url": reverse("curation:edit-set", args=[image_set.uuid]),
        "image_count": image_set.images.count(),
        "problems": [] if frozen else problem_rows(image_set, preview_problems(image_set, chosen)),
        "errors": errors,
        "targets": targets,
        "chosen": chosen,
    }
    return render(request, "curation/publish.html", context)


def deposit_steps(deposit: Deposit) -> list[dict]:
    steps = []
    for step in deposit.steps:
        try:
            at = datetime.fromisoformat(str(step.get("at")))
        except ValueError:
            at = None
        steps.append({"step": step.get("step", ""), "at": at, "detail": step.get("detail", "")})
    return steps


@login_required
@require_http_methods(["GET", "HEAD"])
def deposit_page(request, pk: int):
    """How far a deposit got; refreshes itself while it runs."""
    deposit = selectors.deposit_for(request.user, pk)
    image_set = deposit.image_set
    published = deposit.state == Deposit.State.PUBLISHED
    context = {
        "deposit": deposit,
        "image_set": image_set,
        "active": deposit.state in ACTIVE_DEPOSIT,
        "steps": deposit_steps(deposit),
        "target": deposit.target or "no repository",
        "progress_max": deposit.files_total or 1,
        "progress_value": deposit.files_done if deposit.files_total else int(published),
        "may_retry": deposit.state == Deposit.State.FAILED
        and access.permitted(request.user, Action.PUBLISH, image_set),
    }
    return render(request, "curation/deposit.html", context)


@login_required
@require_POST
def new_version(request, uuid):
    """The draft of the next version of a published set (the same draft if one exists)."""
    image_set = catalogue_selectors.image_set_for(request.user, Action.NEW_VERSION, uuid=uuid)
    existed = draft_of_next_version(image_set) is not None
    draft = services.new_version(image_set, actor=request.user)
    label = f"version {draft.version}" if draft.version else "the next version"
    if existed:
        messages.info(request, f"The draft of {label} already exists: here it is.")
    else:
        messages.success(
            request, f"Draft of {label} created, with the same images. Change it, then publish it."
        )
    return redirect("curation:edit-set", uuid=draft.uuid)
