"""The parts of the API contract Schemathesis first found broken, each checked on its
own: every error is problem+json (CSRF refusals and the schema view's included),
public reads need no credentials in the schema, and bounded query parameters carry
their limits in the schema and are held to them."""

from __future__ import annotations

import json

import pytest
import requests
import yaml
from django.test import Client, RequestFactory

from catalogue.api.problems import MEDIA_TYPE, csrf_failure, server_error
from tests.api.conftest import bearer, client_for


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return yaml.safe_load(Client().get("/api/v1/schema/").content)


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


@pytest.mark.services("postgres")
def test_a_session_without_csrf_token_gets_a_problem(live_server, people):
    """A browser's session cookie, no CSRF token: refused as problem details, not
    Django's HTML page, on the live server (the middleware and DRF both see it)."""
    browser = Client()
    browser.force_login(people["owner"])
    cookies = {"sessionid": browser.cookies["sessionid"].value}
    for method, path in [("post", "/api/v1/image-sets/"), ("delete", "/api/v1/uploads/x/")]:
        response = requests.request(
            method, f"{live_server.url}{path}", json={"title": "x"}, cookies=cookies, timeout=30
        )
        assert response.status_code == 403
        assert response.headers["Content-Type"] == MEDIA_TYPE
        assert response.json()["detail"].startswith("CSRF Failed")


def test_django_csrf_refusals_under_the_api_are_problems(db):
    """CSRF_FAILURE_VIEW: problem details under /api/, Django's page elsewhere."""
    factory = RequestFactory()
    api = csrf_failure(factory.post("/api/v1/anything/"), reason="CSRF cookie not set.")
    assert api.status_code == 403 and api["Content-Type"] == MEDIA_TYPE
    assert json.loads(api.content)["detail"] == "CSRF Failed: CSRF cookie not set."
    page = csrf_failure(factory.post("/curate/"), reason="CSRF cookie not set.")
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_the_schema_views_problems_are_json(people, make_token):
    """The schema is served as YAML; its errors are still JSON problem details."""
    _token, secret = make_token()
    response = bearer(secret).post("/api/v1/schema/")
    assert response.status_code == 405
    assert response["Content-Type"] == MEDIA_TYPE
    assert json.loads(response.content)["status"] == 405


def test_reads_are_public_and_writes_need_credentials_in_the_schema(schema):
    for method, path, operation in operations(schema):
        optional = {} in operation["security"]
        assert optional == (method == "GET"), f"{method} {path}: {operation['security']}"
        assert {"apiToken": []} in operation["security"]


def test_public_reads_answer_a_visitor(people, catalogue):
    visitor = client_for("anonymous", people)
    for path in ["/api/v1/image-sets/", "/api/v1/images/", "/api/v1/search/?q=plankton"]:
        assert visitor.get(path).status_code == 200, path


def parameter(schema: dict, method: str, path: str, name: str) -> dict:
    operation = schema["paths"][path][method]
    return next(p["schema"] for p in operation["parameters"] if p["name"] == name)


@pytest.mark.parametrize(
    ("path", "name", "lowest", "highest"),
    [
        ("/api/v1/image-sets/", "page_size", 1, 200),
        ("/api/v1/images/", "page_size", 1, 200),
        ("/api/v1/annotations/", "page_size", 1, 500),
        ("/api/v1/search/", "page_size", 1, 200),
        ("/api/v1/search/", "page", 1, None),
        ("/api/v1/search/suggestions/", "limit", 1, 50),
        ("/api/v1/vocabularies/platforms/", "limit", 1, 100),
        ("/api/v1/images/{id}/similar/", "limit", 1, 100),
    ],
)
def test_bounded_parameters_carry_their_limits(schema, path, name, lowest, highest):
    bounds = parameter(schema, "get", path, name)
    assert bounds["type"] == "integer" and bounds["minimum"] == lowest
    assert bounds.get("maximum") == highest


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/image-sets/?page_size=1", 200),
        ("/api/v1/image-sets/?page_size=200", 200),
        ("/api/v1/image-sets/?page_size=0", 400),
        ("/api/v1/image-sets/?page_size=201", 400),
        ("/api/v1/image-sets/?page_size=%2B5", 400),
        ("/api/v1/images/?page_size=abc", 400),
        ("/api/v1/annotations/?page_size=500", 200),
        ("/api/v1/annotations/?page_size=501", 400),
        ("/api/v1/search/?page_size=200&page=1", 200),
        ("/api/v1/search/suggestions/?q=pl&limit=50", 200),
        ("/api/v1/search/suggestions/?q=pl&limit=51", 400),
        ("/api/v1/search/suggestions/?q=pl&limit=%D9%A3", 400),  # an Arabic-Indic 3
        ("/api/v1/images/?captured_after=", 400),
        ("/api/v1/image-sets/?state=", 400),
        ("/api/v1/image-sets/?platform=", 200),
        ("/api/v1/search/?bbox=&kind=set", 200),
        ("/api/v1/search/?kind=", 400),
    ],
)
def test_parameters_are_held_to_the_schema(people, catalogue, url, status):
    response = client_for("anonymous", people).get(url)
    assert response.status_code == status, response.content
    if status == 400:
        assert response["Content-Type"] == MEDIA_TYPE
        name = url.split("?")[1].split("&")[-1].split("=")[0]
        assert name in response.json()["errors"]


def test_related_identifiers_and_funding_are_lists_of_records(people, make_token):
    """Found by the contract run: `funding: [[null, null]]` was stored as given, and
    every later answer about the set broke its own schema; then an integer past 64
    bits inside a related identifier was stored, and every answer about the set was
    a 500 (the JSON writer cannot write it). Each item is now a record of text."""
    _token, secret = make_token()
    body = {
        "title": "Funded",
        "funding": [[None, None], {"funder_name": "EU", "grant": 2**70}],
        "related_identifiers": [{"identifier": "10.1/x", "relation_type": "Cites"}, 3],
    }
    response = bearer(secret).post("/api/v1/image-sets/", body, format="json")
    assert response.status_code == 400 and response["Content-Type"] == MEDIA_TYPE
    errors = response.json()["errors"]
    assert errors["funding"][0] == "not an object: item 0"
    assert errors["funding"][1].startswith("item 1: grant is not a field")
    assert errors["related_identifiers"] == [
        "item 0: identifier_type is required",
        "not an object: item 1",
    ]
    good = {
        "title": "Funded",
        "funding": [{"funder_name": "EU", "award_number": "101"}],
        "related_identifiers": [
            {"identifier": "10.1/x", "identifier_type": "DOI", "relation_type": "Cites"}
        ],
    }
    created = bearer(secret).post("/api/v1/image-sets/", good, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["funding"] == good["funding"]


def test_server_errors_under_the_api_are_problems(db):
    factory = RequestFactory()
    api = server_error(factory.get("/api/v1/image-sets/"))
    assert api.status_code == 500 and api["Content-Type"] == MEDIA_TYPE
    assert json.loads(api.content)["instance"] == "/api/v1/image-sets/"
    page = server_error(factory.get("/sets/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
