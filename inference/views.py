"""Web pages of the inference app: the model cards and a job's progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from catalogue import selectors as catalogue_selectors
from catalogue.access import Action
from catalogue.selectors import visible_image_sets, visible_images
from inference.cards import model_card
from inference.models import AnalyticsModel, ModelVersion
from inference.selectors import (
    ImageNotFound,
    NoEmbedding,
    job_progress,
    similar_images,
    visible_jobs,
)
from inference.services import JobError, cancel_job, retry_job, start_job


@require_safe
def model_list(request):
    models = AnalyticsModel.objects.prefetch_related("versions")
    return render(request, "inference/model_list.html", {"models": models})


def version_or_404(model: str, version: str) -> ModelVersion:
    return get_object_or_404(
        ModelVersion.objects.select_related("model", "training_image_set"),
        model__name=model,
        version=version,
    )


@require_safe
def card(request, model: str, version: str):
    model_version = version_or_404(model, version)
    metrics = dict(model_version.metrics or {})
    scores = metrics.pop("cross_validation", None)
    thresholds = metrics.pop("thresholds", {}) or {}
    numerics = metrics.pop("numerics", {}) or {}  # per device (inference/numerics/)
    per_class = [
        {"label": label, **row, "threshold": thresholds.get(label)}
        for label, row in ((scores or {}).get("per_class") or {}).items()
    ]
    context = {
        "version": model_version,
        "model": model_version.model,
        "card": model_card(model_version),
        "metrics": metrics,
        "scores": scores,
        "per_class": per_class,
        "numerics": [entry for _, entry in sorted(numerics.items()) if isinstance(entry, dict)],
    }
    return render(request, "inference/card.html", context)


@require_safe
def card_json(request, model: str, version: str):
    return JsonResponse(model_card(version_or_404(model, version)))


@require_safe
def job_detail(request, pk: int):
    """Only the job's user and staff see a job; to anyone else it does not exist."""
    job = get_object_or_404(
        visible_jobs(request.user).select_related("model_version__model"), pk=pk
    )
    image_set = None
    if isinstance(job.selection, dict) and "image_set" in job.selection:
        image_set = visible_image_sets(request.user).filter(pk=job.selection["image_set"]).first()
    context = {
        "job": job,
        "progress": job_progress(job),
        "image_set": image_set,
        "active": job.state in ("queued", "running"),
    }
    return render(request, "inference/job.html", context)


SIMILAR_LIMIT = 24


@require_safe
def similar_page(request, pk: int):
    """More like this: the visible images nearest to one image, by embedding."""
    image = get_object_or_404(visible_images(request.user).select_related("image_set"), pk=pk)
    try:
        similar, pending = similar_images(request.user, image, SIMILAR_LIMIT), False
    except ImageNotFound as error:
        raise Http404("no such image") from error
    except NoEmbedding:
        similar, pending = [], True
    return render(
        request,
        "inference/similar.html",
        {"image": image, "similar": similar, "pending": pending},
    )


# --- Running a model on a set (curators), cancelling and retrying (the job's user) -----


def runnable_versions():
    """Model versions a curator can run on a set: classifiers and detectors (the
    embedder runs by itself after each ingest)."""
    return (
        ModelVersion.objects.select_related("model")
        .exclude(model__task="embedding")
        .order_by("model__name", "-created")
    )


@login_required
@require_http_methods(["GET", "POST"])
def analyse_set(request, uuid):
    """Choose a model version and run it over every image of a set."""
    image_set = catalogue_selectors.image_set_for(request.user, Action.RUN_MODELS, uuid=uuid)
    versions = list(runnable_versions())
    error = None
    if request.method == "POST":
        chosen = next((v for v in versions if str(v.pk) == request.POST.get("model_version")), None)
        if chosen is None:
            error = "Choose one of the models listed."
        else:
            try:
                selection = {"image_set": image_set.pk}
                job = start_job(chosen, selection, request.user, allow_empty=False)
            except JobError as failure:
                error = failure.reason
            else:
                messages.success(request, f"Job {job.pk} queued: {chosen} on {job.total} images.")
                return redirect("inference:job-detail", pk=job.pk)
    jobs = (
        visible_jobs(request.user)
        .filter(selection__image_set=image_set.pk)
        .select_related("model_version__model")
        .order_by("-created")[:20]
    )
    context = {
        "image_set": image_set,
        "versions": versions,
        "jobs": [{"job": job, "progress": job_progress(job)} for job in jobs],
        "error": error,
    }
    # Errors answer 200 with the message, as the other form pages do.
    return render(request, "inference/analyse.html", context)


@login_required
@require_http_methods(["POST"])
def job_action(request, pk: int, action: str):
    """Cancel or retry a job; only its user and staff see it at all."""
    job = get_object_or_404(visible_jobs(request.user), pk=pk)
    try:
        (cancel_job if action == "cancel" else retry_job)(job)
    except JobError as failure:
        messages.error(request, str(failure))
    else:
        messages.success(request, f"Job {job.pk}: {action} requested.")
    return redirect("inference:job-detail", pk=job.pk)
