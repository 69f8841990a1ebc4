"""Reads of the inference app: what a selection means, and a job's progress."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from catalogue.models import Image
from catalogue.selectors import search_catalogue, visible_images
from inference.models import InferenceJob, JobBatch, Prediction


class SelectionError(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def selected_image_ids(selection: dict, user) -> list[int]:
    """The ids of the images a selection names that `user` may see, in a stable order.

    A selection is {"image_set": id}, {"image_ids": [...]} or {"search": params}
    (a saved search: the catalogue's query parameters; a set search selects
    every image of the sets it finds)."""
    if not isinstance(selection, dict) or len(selection) != 1:
        raise SelectionError("selection", "needs exactly one of image_set, image_ids, search")
    images = visible_images(user)
    if "image_set" in selection:
        images = images.filter(image_set_id=selection["image_set"])
    elif "image_ids" in selection:
        images = images.filter(pk__in=list(selection["image_ids"]))
    elif "search" in selection:
        images = images.filter(search_filter(selection["search"], user))
    else:
        raise SelectionError("selection", f"unknown kind {next(iter(selection))!r}")
    return list(images.order_by("pk").values_list("pk", flat=True))


def search_filter(params: dict, user) -> Q:
    from catalogue.search.query import MAX_PAGE_SIZE, QueryError, query_from_params

    params = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    try:
        query = query_from_params(params)
    except QueryError as error:
        raise SelectionError(f"search.{error.args[0]}", str(error)) from error
    query.page_size, query.facets, query.highlight, query.page = MAX_PAGE_SIZE, [], False, 1
    ids: list[int] = []
    while True:
        result = search_catalogue(user, query)
        ids.extend(result.ids())
        if not result.next_page or not result.hits:
            break
        query.after = result.next_page
    if query.kind == "set":
        return Q(image_set_id__in=ids)
    return Q(pk__in=ids)


def job_progress(job: InferenceJob) -> dict:
    """Counted from the batches' rows, never from a counter a crash could skew."""
    by_state = dict(
        job.batches.values_list("state").annotate(n=Sum("size")).values_list("state", "n")
    )
    failed_images = sum(len(ids) for ids in job.batches.values_list("failed_image_ids", flat=True))
    finished = sum(
        by_state.get(s, 0)
        for s in (JobBatch.State.DONE, JobBatch.State.FAILED, JobBatch.State.SKIPPED)
    )
    return {
        "state": job.state,
        "total": job.total,
        "processed": finished,
        "failed_images": failed_images,
        "skipped": by_state.get(JobBatch.State.SKIPPED, 0),
        "fraction": round(finished / job.total, 4) if job.total else 1.0,
        "batches": dict(job.batches.values_list("state").annotate(n=Count("pk"))),
    }


def predictions_for(image: Image):
    return Prediction.objects.filter(image=image).select_related("model_version__model")


def visible_jobs(user):
    """Jobs `user` may see: their own, or every job for staff; none when signed out."""
    if user is None or not user.is_authenticated:
        return InferenceJob.objects.none()
    if user.is_staff:
        return InferenceJob.objects.all()
    return InferenceJob.objects.filter(created_by=user)
