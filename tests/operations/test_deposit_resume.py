"""A deposit whose task was lost (a broker flushed) is queued again by the schedule and
finished by a real worker; a deposit still moving is left alone."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.services.publication import start_publication
from curation.models import Deposit
from curation.services.deposits import resume_stale_deposits
from tests.catalogue.conftest import real_jpegs

pytestmark = [pytest.mark.services("postgres", "redis"), pytest.mark.django_db(transaction=True)]


def lost_deposit(title: str) -> Deposit:
    """A set being published whose deposit task never reached a worker."""
    image_set = services.create_image_set(title=title, licence="CC-BY-4.0", actor=SYSTEM)
    services.ingest(image_set, real_jpegs(1), actor=SYSTEM)
    start_publication(image_set, actor=SYSTEM)
    return Deposit.objects.create(image_set=image_set, target="")


def test_a_lost_deposit_is_resumed_and_a_moving_one_left_alone(celery_worker, settings):
    stale, moving = lost_deposit("Lost"), lost_deposit("Moving")
    past = timezone.now() - datetime.timedelta(seconds=settings.DEPOSIT_STALE_SECONDS + 60)
    Deposit.objects.filter(pk=stale.pk).update(updated=past)

    assert resume_stale_deposits() == [stale.pk]

    deadline = time.monotonic() + 60
    while Deposit.objects.get(pk=stale.pk).state != "published":
        assert time.monotonic() < deadline, Deposit.objects.get(pk=stale.pk).error
        time.sleep(0.2)
    stale.image_set.refresh_from_db()
    assert stale.image_set.state == "published"
    assert Deposit.objects.get(pk=moving.pk).state == "queued"
