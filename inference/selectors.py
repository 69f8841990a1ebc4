"""Reads of the inference app: what a selection means, a job's progress, which
images already have a version's results, and which images look like a given one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Count, Q, Sum

from catalogue.errors import FieldError
from catalogue.models import Image
from catalogue.search.query import MAX_PAGE_SIZE, QueryError, query_from_params
from catalogue.selectors import search_catalogue, visible_images
from inference import vectors
from inference.ann.engine import ENGINE, INDEX, ranked_by_engine
from inference.ann.engine import backend as similarity_backend
from inference.ann.ranking import ranked_by_index, top_scored
from inference.ann.uploaded import embed_upload
from inference.models import ImageEmbedding, InferenceJob, JobBatch, ModelVersion, Prediction, Task

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

MAX_SELECTED_IDS = 100_000


class SelectionError(FieldError):
    """A selection of images is invalid: `field` names the part at fault."""


def is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def selected_image_ids(selection: dict, user, *, system: bool = False) -> list[int]:
    """The ids of the images a selection names that `user` may see, in a stable order.

    A selection is {"image_set": id}, {"image_ids": [...]} or {"search": params}
    (a saved search: the catalogue's query parameters; a set search selects
    every image of the sets it finds, an image search the images it finds).
    A `system` selection (no user: the demo loader, an operator) sees every image."""
    if not isinstance(selection, dict) or len(selection) != 1:
        raise SelectionError("selection", "needs exactly one of image_set, image_ids, search")
    images = Image.objects.all() if system else visible_images(user)
    if "image_set" in selection:
        if not is_id(selection["image_set"]):
            raise SelectionError("image_set", "must be an image set's id (an integer)")
        images = images.filter(image_set_id=selection["image_set"])
    elif "image_ids" in selection:
        ids = selection["image_ids"]
        if not isinstance(ids, list) or not all(is_id(i) for i in ids):
            raise SelectionError("image_ids", "must be a list of image ids (integers)")
        if len(ids) > MAX_SELECTED_IDS:
            raise SelectionError("image_ids", f"at most {MAX_SELECTED_IDS} ids")
        images = images.filter(pk__in=ids)
    elif "search" in selection:
        if not isinstance(selection["search"], dict):
            raise SelectionError("search", "must be an object of search parameters")
        images = images.filter(search_filter(selection["search"], user))
    else:
        raise SelectionError("selection", f"unknown kind {next(iter(selection))!r}")
    return list(images.order_by("pk").values_list("pk", flat=True))


def search_filter(params: dict, user) -> Q:
    """The images a saved search finds for `user` (every page of it)."""
    params = {
        str(k): [str(x) for x in v] if isinstance(v, list) else [str(v)] for k, v in params.items()
    }
    params.pop("after", None)  # a saved search starts at its first page
    params.pop("page", None)
    try:
        query = query_from_params(params)
        query.page_size, query.facets, query.highlight, query.page = MAX_PAGE_SIZE, [], False, 1
        query.validate()
    except QueryError as error:
        raise SelectionError(f"search.{error.field}", error.reason) from error
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


def is_embedder(version: ModelVersion) -> bool:
    """Whether the version is a feature extractor (writes embeddings, not predictions)."""
    return version.model.task == Task.EMBEDDING


def done_ids(version: ModelVersion, image_ids: Iterable[int]) -> set[int]:
    """The images that already have this version's result (prediction or embedding)."""
    if is_embedder(version):
        return set(
            ImageEmbedding.objects.filter(
                model_version=version, image_id__in=list(image_ids)
            ).values_list("image_id", flat=True)
        )
    return predicted_ids(version, image_ids)


def predicted_ids(version: ModelVersion, image_ids: Iterable[int]) -> set[int]:
    """The images that already have this version's predictions."""
    return set(
        Prediction.objects.filter(model_version=version, image_id__in=list(image_ids)).values_list(
            "image_id", flat=True
        )
    )


class SimilarityError(LookupError):
    """Base of the two reasons "more like this" has no answer."""


class ImageNotFound(SimilarityError):
    """No such image, or one the caller may not see."""


class NoEmbedding(SimilarityError):
    """The image is visible but has no embedding yet (its job has not run)."""


@dataclass
class Neighbours:
    version: ModelVersion
    ids: list[int]  # nearest first
    similarity: dict[int, float]  # cosine, -1..1
    # "index": candidates from our approximate index (faiss), "engine": from the
    # search engine's kNN; "exact": every visible embedding scanned
    method: str = "exact"


def nearest_images(user, image, limit: int = 12, *, chunk: int = 4096) -> Neighbours:
    """The `limit` visible images nearest to `image` by cosine similarity of the
    newest embedder's vectors that the image has. The query image must itself be
    visible (else ImageNotFound) and embedded (else NoEmbedding)."""
    pk = image.pk if isinstance(image, Image) else image
    visible = visible_images(user)
    if not visible.filter(pk=pk).exists():
        raise ImageNotFound(pk)
    own = (
        ImageEmbedding.objects.filter(image_id=pk, model_version__model__task=Task.EMBEDDING)
        .select_related("model_version__model")
        .order_by("-model_version__created", "-model_version_id")
        .first()
    )
    if own is None:
        raise NoEmbedding(pk)
    return nearest_to_vector(
        user, own.model_version, vectors.to_array(own.vector), limit, exclude=pk, chunk=chunk
    )


def images_like_upload(user, data: bytes, limit: int = 12) -> Neighbours:
    """The `limit` visible images nearest to an uploaded image (bytes), whose
    embedding a worker computes. Raises UploadedImageError (the file is at fault),
    NothingToCompare (no image embedded yet) or EmbeddingUnavailable (no worker
    in time)."""
    version, query = embed_upload(data)
    return nearest_to_vector(user, version, query, limit)


def nearest_to_vector(
    user, version: ModelVersion, query, limit: int, *, exclude: int | None = None, chunk: int = 4096
) -> Neighbours:
    """The `limit` visible images nearest to a vector of `version`'s space.

    Past SIMILARITY_INDEX_MIN_EMBEDDINGS embeddings, with an index built, the
    index proposes candidates: the search engine's kNN, filtered by the search's
    access filter (SIMILARITY_BACKEND "engine"), or our inverted file, over-fetched
    and fetched again when too many were hidden ("index"). Candidates are
    checked against `visible_images` and ranked by their stored vectors with the
    embeddings written since the index was built, so scores are exact and hidden
    images never enter. Otherwise, or when too few visible candidates come,
    every visible embedding is scanned."""
    if limit < 1:
        return Neighbours(version=version, ids=[], similarity={})
    visible = visible_images(user)
    rows = ImageEmbedding.objects.filter(model_version_id=version.pk)
    if exclude is not None:
        rows = rows.exclude(image_id=exclude)
    chosen = similarity_backend()
    ranked = None
    if chosen == ENGINE:
        ranked = ranked_by_engine(user, version, query, limit, visible, rows, exclude, chunk)
    elif chosen == INDEX:
        ranked = ranked_by_index(version, query, limit, visible, rows, exclude, chunk)
    method = "engine" if chosen == ENGINE else "index"
    if ranked is None:
        method = "exact"
        ranked = top_scored(rows.filter(image_id__in=visible.values("pk")), query, limit, chunk)
    return Neighbours(
        version=version,
        ids=[-negative for _, negative in ranked],
        similarity={-negative: round(score, 6) for score, negative in ranked},
        method=method,
    )


class Similarity(TypedDict):
    similarity: float


def similar_images(user, image, limit: int = 12) -> list[WithAnnotations[Image, Similarity]]:
    """More like this, for pages: the nearest visible images, nearest first, each
    with a `similarity` attribute. Raises ImageNotFound or NoEmbedding."""
    if limit < 1:
        return []
    found = nearest_images(user, image, limit)
    by_pk = visible_images(user).select_related("image_set").in_bulk(found.ids)
    out = []
    for pk in found.ids:
        if pk in by_pk:  # hidden between the two reads: left out, never shown
            # An Image that is about to carry `similarity`: typed as such here.
            similar = cast("WithAnnotations[Image, Similarity]", by_pk[pk])
            similar.similarity = found.similarity[pk]
            out.append(similar)
    return out


def visible_jobs(user):
    """Jobs `user` may see: their own, or every job for staff; none when signed out."""
    if user is None or not user.is_authenticated:
        return InferenceJob.objects.none()
    if user.is_staff:
        return InferenceJob.objects.all()
    return InferenceJob.objects.filter(created_by=user)
