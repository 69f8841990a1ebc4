"""Reads of the curator pages and the curation API, filtered by catalogue.access."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BigIntegerField, CharField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat, LPad

from catalogue import access
from catalogue import selectors as catalogue_selectors
from catalogue.access import Action
from catalogue.errors import NotVisible
from catalogue.models import ImageSet
from curation.models import Annotation, Deposit, Labelling, LabelSet, ReviewEvent, Status


def my_image_sets(user) -> QuerySet[ImageSet]:
    """The sets `user` may change (owns or curates; staff: every set), newest first,
    with image counts."""
    return (
        ImageSet.objects.filter(access.orm_filter(user, Action.EDIT))
        .select_related("owner")
        .annotate(image_count=Count("images"))
        .order_by("-updated", "-pk")
    )


def visible_deposits(user) -> QuerySet[Deposit]:
    """Deposits of the sets `user` curates (staff: every one)."""
    curated = ImageSet.objects.filter(access.orm_filter(user, Action.SEE_CURATION))
    return Deposit.objects.filter(image_set__in=curated.values("pk")).select_related("image_set")


def deposit_for(user, pk: int) -> Deposit:
    """The deposit `pk` if `user` may follow it; otherwise NotVisible."""
    deposit = visible_deposits(user).filter(pk=pk).first()
    if deposit is None:
        raise NotVisible("No deposit with this id (or none you may see).")
    return deposit


def deposit_document(deposit: Deposit) -> dict:
    """A deposit as the API and `manage.py publish --json` show it: JSON-safe, its set
    by id (the API adds the set's link), its dates ISO 8601 as the API writes them."""
    return {
        "id": deposit.pk,
        "image_set": deposit.image_set_id,
        "target": deposit.target or None,
        "state": deposit.state,
        "steps": [
            {"step": step.get("step", ""), "at": step.get("at"), "detail": step.get("detail", "")}
            for step in deposit.steps
        ],
        "files": {"done": deposit.files_done, "total": deposit.files_total},
        "remote_id": deposit.remote_id,
        "remote_url": deposit.remote_url,
        "doi": deposit.doi,
        "concept_doi": deposit.concept_doi,
        "error": deposit.error,
        "errors": deposit.errors,
        "created": iso(deposit.created),
        "updated": iso(deposit.updated),
    }


def iso(moment: datetime) -> str:
    """ISO 8601 with UTC as "Z", as the API's renderer writes datetimes."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --- label sets and annotations --------------------------------------------------------


def visible_label_sets(user) -> QuerySet[LabelSet]:
    """Label sets `user` may read: every published version, their own drafts, and the
    label set of any image set they may see (staff: all)."""
    if access.is_staff(user):
        return LabelSet.objects.all()
    used = Labelling.objects.filter(
        image_set__in=catalogue_selectors.visible_image_sets(user).values("pk")
    ).values("label_set")
    readable = Q(state=LabelSet.State.PUBLISHED) | Q(pk__in=used)
    if access.signed_in(user) and user.pk is not None:
        readable |= Q(owner=user.pk)
    return LabelSet.objects.filter(readable)


def label_set_for(user, uuid) -> LabelSet:
    """The label set `uuid` if `user` may read it; otherwise NotVisible."""
    label_set = visible_label_sets(user).filter(uuid=uuid).first()
    if label_set is None:
        raise NotVisible("No label set with this uuid (or none you may see).")
    return label_set


def visible_annotations(user) -> QuerySet[Annotation]:
    """Annotations of the images `user` may see (none of a set whose files are under
    embargo for them: annotations are read as the images are)."""
    return Annotation.objects.filter(
        image__in=catalogue_selectors.visible_images(user).values("pk")
    )


def annotation_for(user, pk: int) -> Annotation:
    """The annotation `pk` if `user` may see its set; otherwise NotVisible."""
    annotation = visible_annotations(user).select_related("label", "image").filter(pk=pk).first()
    if annotation is None:
        raise NotVisible("No annotation with this id (or none you may see).")
    return annotation


def annotation_history(annotation: Annotation) -> QuerySet[ReviewEvent]:
    """The annotation's review events, oldest first (kept by uuid, so a copy's
    history starts at its own creation)."""
    return (
        ReviewEvent.objects.filter(annotation_uuid=annotation.uuid)
        .select_related("actor", "model_version__model")
        .order_by("at", "pk")
    )


def annotation_counts(image_set: ImageSet) -> dict:
    """What a set's annotations amount to: the total, counts per status, per label
    (with its counts per status), and the fraction validated. One grouped query."""
    rows = (
        Annotation.objects.filter(image__image_set=image_set)
        .values("label_id", "label__name", "label__colour", "status")
        .annotate(count=Count("pk"))
        .order_by("label__name", "label_id", "status")
    )
    by_status = {status: 0 for status in Status.values}
    labels: dict[int, dict] = {}
    for row in rows:
        by_status[row["status"]] += row["count"]
        entry = labels.setdefault(
            row["label_id"],
            {
                "label": row["label_id"],
                "name": row["label__name"],
                "colour": row["label__colour"],
                "total": 0,
                "by_status": {status: 0 for status in Status.values},
            },
        )
        entry["total"] += row["count"]
        entry["by_status"][row["status"]] += row["count"]
    total = sum(by_status.values())
    return {
        "total": total,
        "by_status": by_status,
        "by_label": list(labels.values()),
        "validated_fraction": by_status[Status.VALIDATED] / total if total else 0.0,
    }


def ordered_annotations(annotations: QuerySet[Annotation], ordering: str) -> QuerySet[Annotation]:
    """`annotations` with a unique `sort_key` for `ordering` (id, -id, confidence,
    -confidence), the key cursor pages follow: by confidence the key is the confidence
    (unknown lowest) and then the id, as digits, so that thousands of equal confidences
    still page without gaps or repeats."""
    if ordering.lstrip("-") == "id":
        return annotations.annotate(sort_key=F("id"))
    # Confidence in 0..1, unknown as -1, shifted to 0..2e9 with nine decimals kept.
    scaled = Cast((Coalesce("confidence", Value(-1.0)) + 1) * 1e9, BigIntegerField())
    key = Concat(
        LPad(Cast(scaled, CharField()), 10, Value("0")),
        LPad(Cast("id", CharField()), 19, Value("0")),
        output_field=CharField(),
    )
    return annotations.annotate(sort_key=key)
