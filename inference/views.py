"""Web pages of the inference app: the model cards and a job's progress."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from inference.cards import model_card
from inference.models import AnalyticsModel, ModelVersion
from inference.selectors import (
    ImageNotFound,
    NoEmbedding,
    job_progress,
    similar_images,
    visible_jobs,
)


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
    return render(
        request,
        "inference/card.html",
        {"version": model_version, "model": model_version.model, "card": model_card(model_version)},
    )


@require_safe
def card_json(request, model: str, version: str):
    return JsonResponse(model_card(version_or_404(model, version)))


@require_safe
def job_detail(request, pk: int):
    """Only the job's user and staff see a job; to anyone else it does not exist."""
    job = get_object_or_404(
        visible_jobs(request.user).select_related("model_version__model"), pk=pk
    )
    return render(request, "inference/job.html", {"job": job, "progress": job_progress(job)})


SIMILAR_LIMIT = 24


@require_safe
def similar_page(request, pk: int):
    """More like this: the visible images nearest to one image, by embedding."""
    from django.http import Http404

    from catalogue.selectors import visible_images

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
