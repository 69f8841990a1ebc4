"""Fixtures for the curator pages: people, a logged-in client, a form's POST data."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def curation_settings(local_files_database_search):
    return local_files_database_search


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def management(prefix: str, total: int = 1) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def form_data(**fields) -> dict:
    """POST data of the set form: a valid minimal set, changed by `fields`."""
    data = {
        "title": "Copepods of the Skagerrak",
        "licence": "CC-BY-4.0",
        "access": "open",
        **management("creators", 2),
        **management("taxa"),
        **management("related"),
        **management("funding"),
        "creators-0-name": "Berg, Anna",
    }
    data.update(fields)
    return data
