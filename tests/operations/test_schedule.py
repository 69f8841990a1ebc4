"""The beat schedule: every entry names a task the workers know, and beat, its clock
moved past each period (time moved, not waited for), sends them to a real worker
that does the work."""

from __future__ import annotations

import datetime
import time

import pytest
from celery import beat
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from aquacat.celery import app
from aquacat.schedule import beat_schedule
from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet, Upload

pytestmark = pytest.mark.services("postgres", "redis")


def test_every_entry_names_a_registered_task_and_a_zero_period_leaves_it_out():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert len(names) == len(settings.CELERY_BEAT_SCHEDULE) >= 9
    assert names <= set(app.tasks), names - set(app.tasks)
    periods = {**settings.SCHEDULE_PERIODS, "fixity": 0}
    assert "check-fixity" not in beat_schedule(periods)
    assert beat_schedule(periods)["lift-embargoes"]["schedule"] == datetime.timedelta(
        seconds=settings.SCHEDULE_PERIODS["embargo"]
    )


def wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done within {seconds}s: {condition.__doc__}")
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_beat_sends_what_is_due_and_the_worker_does_it(celery_worker, django_user_model):
    owner = django_user_model.objects.create_user("owner")
    lapsed = services.create_image_set(
        title="Embargo ended yesterday",
        access="embargoed",
        embargo_until=timezone.localdate() - datetime.timedelta(days=1),
        owner=owner,
        actor=SYSTEM,
    )
    abandoned = Upload.objects.create(
        image_set=lapsed,
        owner=owner,
        file_name="left.zip",
        size=10,
        sha256="",
        backend=Upload.Backend.LOCAL,
        staging="",
        expires=timezone.now() - datetime.timedelta(hours=1),
    )
    session = SessionStore()
    session.create()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(days=1)
    )
    wanted = ("lift-embargoes", "expire-uploads", "clear-sessions")
    scheduler = beat.Scheduler(app, lazy=True)
    scheduler.update_from_dict({name: settings.CELERY_BEAT_SCHEDULE[name] for name in wanted})
    moved = app.now() - datetime.timedelta(days=2)  # the clock moved past every period
    for entry in scheduler.schedule.values():
        entry.last_run_at = moved
    try:
        sent = [scheduler.tick() for _ in range(len(wanted) + 1)]
    finally:
        scheduler.close()
    assert sent[: len(wanted)] == [0] * len(wanted)  # one entry sent per tick
    assert sent[-1] > 0  # then nothing is due until the next period

    def embargo_lifted():
        """the embargo lifted by the worker"""
        return ImageSet.objects.get(pk=lapsed.pk).access == "open"

    def upload_expired():
        """the abandoned upload expired by the worker"""
        return Upload.objects.get(pk=abandoned.pk).state == "expired"

    def session_cleared():
        """the expired session removed by the worker"""
        return not Session.objects.filter(session_key=session.session_key).exists()

    for condition in (embargo_lifted, upload_expired, session_cleared):
        wait_until(condition)
