"""The review pages: the review grid of a set's annotations, the annotation editor
of one image, and the crops the grid shows.

The pages are shells: their scripts (aquacat/static/aquacat/review.js,
annotate.js) read and change annotations through the REST API
(/api/v1/annotations/) with the session. Who may reach them is decided by
catalogue.access (REVIEW for the grid, ANNOTATE for the editor: a set's owner,
curators, reviewers and staff); a published set's pages show it read-only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_POST, require_safe

from catalogue import access
from catalogue import selectors as catalogue_selectors
from catalogue.access import Action
from catalogue.errors import Immutable, NotVisible
from catalogue.ingest.imaging import IMAGE_TYPES
from catalogue.models import Image, ImageSet
from catalogue.views import FILE_CSP, file_caching
from curation import crops, review_selectors
from curation.models import Annotation
from curation.review_forms import ReviewFilterForm
from curation.services import confident
from curation.views import frozen_reason
from inference.models import ModelVersion

ANNOTATIONS_API = "/api/v1/annotations/"
# Types a browser shows as they are; others (TIFF) are shown by their largest thumbnail.
BROWSER_TYPES = {"image/jpeg", "image/png", "image/webp"}


def set_to_review(user, uuid) -> tuple[ImageSet, bool]:
    """The set, and whether it is frozen (published: shown read-only). Hidden sets are
    NotVisible (404), sets the user may not review NotAllowed (403)."""
    try:
        return catalogue_selectors.image_set_for(user, Action.REVIEW, uuid=uuid), False
    except Immutable:  # raised only once the user's role is known to allow review
        return catalogue_selectors.image_set_for(user, Action.VIEW, uuid=uuid), True


def image_to_annotate(user, pk: int) -> tuple[Image, bool]:
    image = catalogue_selectors.visible_images(user).select_related("image_set").filter(pk=pk)
    found = image.first()
    if found is None:
        raise NotVisible("No image with this id (or none you may see).")
    try:
        access.require(user, Action.ANNOTATE, found.image_set)
    except Immutable:
        return found, True
    return found, False


def api_urls() -> dict[str, str]:
    return {
        "annotations": ANNOTATIONS_API,
        "review": f"{ANNOTATIONS_API}review/",
        "undo": f"{ANNOTATIONS_API}undo/",
    }


@login_required
@require_safe
def review_grid(request, uuid):
    """Crops of a set's annotations, filtered and sorted; the script loads them page by
    page from the API and sends the reviewer's keys and clicks to it."""
    image_set, frozen = set_to_review(request.user, uuid)
    labels = review_selectors.labels_of(image_set)
    form = ReviewFilterForm(
        request.GET or None, labels=labels, models=review_selectors.model_names(image_set)
    )
    config = {
        "imageSet": str(image_set.uuid),
        "query": {"image_set": str(image_set.uuid), **form.query()},
        "api": api_urls(),
        "labels": labels,
        "readonly": frozen,
        "editor": reverse("curation:annotate", args=[0]),
    }
    context = {
        "image_set": image_set,
        "form": form,
        "summary": review_selectors.annotation_summary(image_set),
        "labels": labels,
        "config": config,
        "reason": frozen_reason(image_set) if frozen else None,
        "may_curate": access.allowed(request.user, Action.SEE_CURATION, image_set),
        "confident": [] if frozen else review_selectors.confident_offers(image_set),
    }
    return render(request, "curation/review.html", context)


@login_required
@require_POST
def validate_confident_predictions(request, uuid):
    """The review grid's offer: validate a model version's predictions at or above
    their class's 95 %-precision threshold, in one review action (undoable)."""
    image_set, frozen = set_to_review(request.user, uuid)
    if frozen:
        raise Immutable(frozen_reason(image_set))
    version = get_object_or_404(ModelVersion, pk=request.POST.get("model_version") or 0)
    outcome = confident.validate_confident(image_set, version, actor=request.user)
    messages.success(
        request,
        f"{outcome.changed} prediction{'s' if outcome.changed != 1 else ''} of "
        f"{version.model.name} {version.version} validated.",
    )
    return redirect("curation:review", uuid=image_set.uuid)


def image_url(image: Image) -> str:
    if image.media_type in BROWSER_TYPES or not image.thumbnail_medium:
        return reverse("catalogue:image-original", args=[image.pk])
    return reverse("catalogue:image-thumbnail", args=[image.pk, "medium"])


@login_required
@require_safe
def annotate(request, pk: int):
    """One image and its annotations, to draw, move, resize, relabel and delete."""
    image, frozen = image_to_annotate(request.user, pk)
    image_set = image.image_set
    before, after = review_selectors.neighbours(image)
    labels = review_selectors.labels_of(image_set)
    config = {
        "image": image.pk,
        "width": image.width,
        "height": image.height,
        "src": image_url(image),
        "api": api_urls(),
        "labels": labels,
        "readonly": frozen,
    }
    context = {
        "image": image,
        "image_set": image_set,
        "labels": labels,
        "config": config,
        "reason": frozen_reason(image_set) if frozen else None,
        "before": before,
        "after": after,
    }
    return render(request, "curation/annotate.html", context)


@require_safe
def annotation_crop(request, pk: int):
    """The JPEG crop of an annotation, for those who may see its image (as its
    thumbnails); 404 otherwise. Its revision is its version: a moved box gets a new
    ETag, an unchanged one answers 304."""
    visible = catalogue_selectors.visible_images(request.user)
    annotation = (
        Annotation.objects.filter(image__in=visible.values("pk"))
        .select_related("image__image_set")
        .filter(pk=pk)
        .first()
    )
    if annotation is None:
        raise Http404("no such annotation")
    image = annotation.image
    if image.media_type not in IMAGE_TYPES:
        raise Http404("no such file")
    etag = f'"{annotation.uuid}-{annotation.revision}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        try:
            data = crops.crop_jpeg(image, annotation.shape, annotation.coordinates)
        except FileNotFoundError as missing:
            raise Http404("no such file") from missing
        response = HttpResponse(data, content_type="image/jpeg")
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # A crop changes when its annotation does (the ETag tells); caches ask again
    # before each use, so none outlives the set's access (catalogue.views.file_caching).
    return file_caching(response, image.image_set, etag)
