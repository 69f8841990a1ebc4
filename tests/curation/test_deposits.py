"""Publishing through the services: the checklist, one deposit per set, the
deposit's steps, refusals and waiting targets, and a real worker running it."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from catalogue import access, services
from catalogue.access import SYSTEM
from catalogue.errors import FieldError, Immutable, NotAllowed, NotVisible
from catalogue.models import ImageSet
from curation.models import Deposit
from curation.repositories import TransientTargetError
from curation.services.deposits import checklist, publish, run_deposit
from tests.curation.conftest import MintingTarget, ready_set

pytestmark = pytest.mark.django_db


def test_the_checklist_names_every_missing_field_at_once(people):
    empty = services.create_image_set(title="Nothing yet", owner=people["owner"], actor=SYSTEM)
    assert set(checklist(empty)) == {"creators", "images"}
    with pytest.raises(ValidationError) as refused:
        publish(empty, actor=people["owner"])
    assert set(refused.value.message_dict) == {"creators", "images"}
    empty.refresh_from_db()
    assert empty.state == "draft" and not Deposit.objects.exists()


def test_publishing_without_a_repository_freezes_the_set(people):
    image_set = ready_set(people)
    deposit = publish(image_set, actor=people["curator"])
    image_set.refresh_from_db()
    assert image_set.state == "publishing" and deposit.state == "queued"
    assert deposit.target == "" and deposit.created_by == people["curator"]
    with pytest.raises(Immutable):  # frozen while the deposit runs
        services.update_image_set(image_set, title="Changed", actor=people["owner"])
    assert run_deposit(deposit.pk).state == "published"
    image_set.refresh_from_db()
    assert image_set.state == "published" and image_set.doi == "" and image_set.published
    assert access.is_public(image_set)
    deposit.refresh_from_db()
    assert [step["step"] for step in deposit.steps][-1] == "published"
    assert run_deposit(deposit.pk).steps == deposit.steps  # a redelivery changes nothing


def test_two_publish_requests_make_one_deposit(people):
    image_set = ready_set(people)
    first = publish(image_set, actor=people["owner"])
    second = publish(image_set, actor=people["curator"])
    assert first.pk == second.pk and Deposit.objects.count() == 1
    run_deposit(first.pk)
    assert publish(image_set, actor=people["owner"]).pk == first.pk  # published: the same


@pytest.mark.django_db(transaction=True)
def test_concurrent_publish_requests_make_one_deposit(people):
    image_set = ready_set(people)
    deposits, errors = [], []
    start = threading.Barrier(2)

    def click(who):
        try:
            start.wait()
            deposits.append(publish(ImageSet.objects.get(pk=image_set.pk), actor=people[who]).pk)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(who,)) for who in ("owner", "curator")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(set(deposits)) == 1 and Deposit.objects.count() == 1


def test_who_may_publish(people):
    image_set = ready_set(people)
    with pytest.raises(NotVisible):
        publish(image_set, actor=people["other"])
    with pytest.raises(NotVisible):
        publish(image_set, actor=people["anonymous"])
    published = ready_set(people)
    services.publish_image_set(published, actor=SYSTEM)
    with pytest.raises(NotAllowed):
        publish(published, actor=people["other"])
    with pytest.raises(Immutable):  # published without a deposit: nothing to publish
        publish(published, actor=people["owner"])


def test_an_unknown_target_is_a_field_error(people, targets):
    targets(fast="minting", broken="refusing")
    image_set = ready_set(people)
    with pytest.raises(FieldError) as error:
        publish(image_set, actor=people["owner"], target="zenodo")
    assert error.value.field == "target" and "zenodo" in error.value.reason
    with pytest.raises(FieldError):  # several configured: the curator must choose
        publish(image_set, actor=people["owner"])
    image_set.refresh_from_db()
    assert image_set.state == "draft"


def test_a_refusal_fails_the_deposit_and_the_set_is_a_draft_again(people, targets):
    targets(refusing="refusing", minting="minting")
    image_set = ready_set(people)
    deposit = run_deposit(publish(image_set, actor=people["owner"], target="refusing").pk)
    assert deposit.state == "failed" and deposit.errors == {
        "metadata.creators": ["Missing affiliation."],
        "metadata.title": ["Too short.", "Not in English."],
    }
    assert deposit.remote_id == "abc12-3de45" and "refused" in deposit.error
    image_set.refresh_from_db()
    assert image_set.state == "draft"
    # Fixed and tried again: a new deposit (the failed one stays, for the record).
    retry = publish(image_set, actor=people["owner"], target="minting")
    assert retry.pk != deposit.pk and run_deposit(retry.pk).state == "published"
    image_set.refresh_from_db()
    assert (image_set.doi, image_set.concept_doi) == ("10.5072/aquacat.2", "10.5072/aquacat.1")


def test_a_target_that_is_down_leaves_the_deposit_waiting(people, targets):
    targets(down="down")
    image_set = ready_set(people)
    deposit = publish(image_set, actor=people["owner"], target="down")
    with pytest.raises(TransientTargetError):  # the task retries with backoff
        run_deposit(deposit.pk)
    deposit.refresh_from_db()
    image_set.refresh_from_db()
    assert deposit.state == "waiting" and "waiting for down" in deposit.error
    assert image_set.state == "publishing"


def test_a_resumed_deposit_repeats_no_step(people, targets):
    targets(counting="minting")
    image_set = ready_set(people)
    deposit = publish(image_set, actor=people["owner"], target="counting")
    deposit.steps = [{"step": "draft created", "at": "2026-01-01T00:00:00+00:00", "detail": ""}]
    deposit.state = "running"  # a worker died after its first step
    deposit.save()
    run_deposit(deposit.pk)
    assert MintingTarget.taken == ["files uploaded", "publish requested"]


@pytest.mark.services("postgres", "redis")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_deposit(people, celery_worker):
    image_set = ready_set(people)
    deposit = publish(image_set, actor=people["owner"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        deposit.refresh_from_db()
        if deposit.state == "published":
            break
        time.sleep(0.25)
    assert deposit.state == "published", deposit.error
    image_set.refresh_from_db()
    assert image_set.state == "published"
