"""Publishing a set: the checklist, the deposit, and running it step by step.

`publish()` is the entry point (it takes the acting user): every problem of the
checklist at once (a 400 naming each field, nothing sent), then the set is
frozen (catalogue.services.publication) and a deposit row is made in the same
transaction; a Celery task (curation/tasks.py) runs it once committed. Two
publish requests make one deposit (a unique constraint and a row lock).

`run_deposit()` is the task's body: it takes the target's steps (each recorded
on the row, so a redelivered task repeats none), then publishes the set with
the DOI it got; a refusal fails the deposit with the target's messages and
makes the set a draft again; a target that is down leaves it waiting, retried.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalogue import access
from catalogue.access import Action
from catalogue.errors import FieldError
from catalogue.models import ImageSet
from catalogue.services.publication import (
    abandon_publication,
    complete_publication,
    start_publication,
)
from curation.completeness import completeness
from curation.models import Deposit
from curation.repositories import (
    NoTarget,
    Target,
    TargetError,
    TransientTargetError,
    target_for,
)

State = Deposit.State


def checklist(image_set: ImageSet) -> dict[str, list[str]]:
    """What keeps a set from being published, by field: DataCite's mandatory
    properties the curator supplies, and at least one image (the model itself
    requires a title and a licence)."""
    problems: dict[str, list[str]] = {}
    for check in completeness(image_set).missing_mandatory:
        problems.setdefault(check.field, []).append(f"{check.label} is required")
    if not image_set.images.exists():
        problems.setdefault("images", []).append("a set needs at least one image")
    return problems


def live_deposit(image_set: ImageSet) -> Deposit | None:
    return image_set.deposits.exclude(state=State.FAILED).first()


def publish(image_set: ImageSet, *, actor, target: str | None = None) -> Deposit:
    """Publish a draft to `target` (see curation.repositories.target_for). Returns the
    deposit; asking again while one runs (or after it succeeded) returns the same."""
    with transaction.atomic():
        # One request at a time per set: the second waits here, then finds the first's deposit.
        locked = ImageSet.objects.select_for_update().get(pk=image_set.pk)
        existing = live_deposit(locked)
        if existing is not None:
            access.require(actor, Action.SEE_CURATION, locked)
            return existing
        access.require(actor, Action.PUBLISH, locked)
        chosen = target_for(target)
        problems = checklist(locked)
        for name, messages in chosen.refuses(locked).items():
            problems.setdefault(name, []).extend(messages)
        if problems:
            raise ValidationError(problems)
        start_publication(locked, actor=actor)
        deposit = Deposit.objects.create(
            image_set=locked,
            target=chosen.name,
            created_by=actor if access.signed_in(actor) and actor.pk else None,
        )
        transaction.on_commit(lambda: queue_deposit(deposit.pk))
    image_set.refresh_from_db()
    return deposit


def queue_deposit(deposit_id: int) -> None:
    from curation.tasks import run_deposit_task  # noqa: PLC0415 - curation.tasks imports this module

    run_deposit_task.delay(deposit_id)


def resume_stale_deposits(now: datetime | None = None) -> list[int]:
    """Queue again the deposits that lost their task (a broker flushed or restarted):
    queued, running or waiting without a change for DEPOSIT_STALE_SECONDS, longer
    than any retry's backoff and any step's progress. `run_deposit` is idempotent."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.DEPOSIT_STALE_SECONDS)
    stale = list(
        Deposit.objects.filter(
            state__in=(State.QUEUED, State.RUNNING, State.WAITING), updated__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for deposit_id in stale:
        queue_deposit(deposit_id)
    return stale


class DepositRun:
    """A deposit being run: what a target calls to record its steps and progress.
    Each call saves at once, so the row always says how far the deposit got."""

    def __init__(self, deposit: Deposit):
        self.deposit = deposit

    @property
    def image_set(self) -> ImageSet:
        return self.deposit.image_set

    def done(self, step: str) -> bool:
        return self.deposit.step_done(step)

    def record(
        self, step: str, detail: str = "", *, data: dict | None = None, **remote: str
    ) -> None:
        """Note a finished step (and any remote id, url or DOI it produced); `data` is
        what a resumed deposit needs of it (e.g. the id of one of linked records)."""
        entry: dict[str, object] = {
            "step": step,
            "at": timezone.now().isoformat(),
            "detail": detail,
        }
        if data:
            entry["data"] = data
        self.deposit.steps = [*self.deposit.steps, entry]
        for name, value in remote.items():
            setattr(self.deposit, name, value)
        self.deposit.save(update_fields=["steps", *remote, "updated"])

    def data(self, step: str) -> dict:
        """The `data` recorded with a step ({} when the step is not done)."""
        for entry in self.deposit.steps:
            if entry.get("step") == step:
                return dict(entry.get("data") or {})
        return {}

    def progress(self, done: int, total: int) -> None:
        self.deposit.files_done, self.deposit.files_total = done, total
        self.deposit.save(update_fields=["files_done", "files_total", "updated"])


def set_state(deposit: Deposit, state: str, **fields) -> None:
    deposit.state = state
    for name, value in fields.items():
        setattr(deposit, name, value)
    deposit.save(update_fields=["state", *fields, "updated"])


def run_deposit(deposit_id: int) -> Deposit:
    """Take the deposit's remaining steps. Idempotent: a finished deposit is left as
    it is, and a resumed one skips the steps it has recorded."""
    deposit = Deposit.objects.select_related("image_set").get(pk=deposit_id)
    if deposit.state in (State.PUBLISHED, State.FAILED):
        return deposit
    set_state(deposit, State.RUNNING)
    run = DepositRun(deposit)
    try:
        target: Target = target_for(deposit.target) if deposit.target else NoTarget("")
        doi, concept_doi = target.deposit(run)
    except TransientTargetError as error:
        set_state(deposit, State.WAITING, error=f"waiting for {deposit.target}: {error}")
        raise
    except (TargetError, FieldError) as error:  # a refusal, or a target no longer configured
        errors = getattr(error, "errors", {})
        set_state(deposit, State.FAILED, error=str(error), errors=errors)
        abandon_publication(deposit.image_set)
        return deposit
    with transaction.atomic():
        complete_publication(deposit.image_set, doi=doi, concept_doi=concept_doi)
        run.record("published", doi=doi, concept_doi=concept_doi)
        set_state(deposit, State.PUBLISHED, error="")
    return deposit
