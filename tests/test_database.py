"""The database: migrations applied and rows written through the services."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalogue.access import SYSTEM
from catalogue.selectors import visible_image_sets
from catalogue.services import create_image_set


@pytest.mark.services("postgres")
def test_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_every_migration_is_applied():
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    applied = executor.loader.applied_migrations
    for app in ("catalogue", "auth", "admin", "sessions"):
        assert any(label == app for label, _ in applied), app


@pytest.mark.django_db
def test_image_set_round_trip():
    published = create_image_set(
        title="Plankton of the Scheldt estuary", state="published", actor=SYSTEM
    )
    draft = create_image_set(title="Unfinished survey", actor=SYSTEM)
    assert list(visible_image_sets().filter(pk__in=[published.pk, draft.pk])) == [published]
