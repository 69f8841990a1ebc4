"""Reads of the curator pages, filtered by catalogue.access."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, QuerySet

from catalogue import access
from catalogue.access import Action
from catalogue.errors import NotVisible
from catalogue.models import ImageSet
from curation.models import Deposit


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
