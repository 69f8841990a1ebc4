"""The served OpenAPI schema, checked against the running API with schemathesis:
no server errors, and every answer (status, content type, body) as documented."""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aquacat.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def unthrottled(api_settings):
    api_settings.API_THROTTLE_RATES = {"token": None, "address": None}


@pytest.fixture
def wsgi_in_test_transaction():
    """Calling the WSGI app directly fires request_started/finished, whose handler
    would close the test's connection mid-transaction; Django's test client
    disconnects it the same way."""

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.include(method="GET").parametrize()
@settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "60")),
    derandomize=os.environ.get("SCHEMATHESIS_RANDOM") != "1",
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_read_endpoints_follow_the_schema(case, catalogue, unthrottled, wsgi_in_test_transaction):
    case.call_and_validate(checks=CHECKS)
