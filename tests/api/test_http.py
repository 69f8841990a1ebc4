"""HTTP behaviour: ETags, cursor pages, problem+json everywhere, 413 and 429."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalogue import services
from catalogue.access import SYSTEM
from tests.api.conftest import bearer, client_for

pytestmark = pytest.mark.django_db


def test_etag_and_304(people, catalogue):
    client = client_for("anonymous", people)
    url = f"/api/v1/image-sets/{catalogue['public'].pk}/"
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"')
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    # A published set's metadata is frozen; who may see it can still change.
    yesterday = dt.date.today() - dt.timedelta(days=1)
    services.update_image_set(
        catalogue["public"], access="embargoed", embargo_until=yesterday, actor=SYSTEM
    )
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    image = catalogue["public"].images.get()
    image_etag = client.get(f"/api/v1/images/{image.pk}/")["ETag"]
    not_modified = client.get(f"/api/v1/images/{image.pk}/", HTTP_IF_NONE_MATCH=image_etag)
    assert not_modified.status_code == 304


def test_cursor_pages(people):
    for n in range(7):
        services.create_image_set(
            title=f"set {n}", state="published", owner=people["owner"], actor=SYSTEM
        )
    client = client_for("anonymous", people)
    seen, url = [], "/api/v1/image-sets/?page_size=3"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [row["title"] for row in page["results"]]
        url = page["next"]
    assert seen == [f"set {n}" for n in reversed(range(7))]
    bad = client.get("/api/v1/image-sets/?cursor=garbage")
    assert bad.status_code == 404 and bad["Content-Type"] == "application/problem+json"


def test_errors_are_problems(people, catalogue):
    client = client_for("anonymous", people)
    for path, status in [
        ("/api/v1/nowhere/", 404),
        ("/api/v1/image-sets/999999/", 404),
        ("/api/v1/search/?kind=fish", 400),
        ("/api/v1/search/?depth_min=deep", 400),
        ("/api/v1/search/?colour=blue", 400),
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert {"type", "title", "status", "detail", "instance"} <= set(body)
        assert body["instance"] == path.split("?")[0]
    named = client.get("/api/v1/search/?depth_min=deep").json()
    assert list(named["errors"]) == ["depth_min"]
    put = client_for("owner", people).put(f"/api/v1/image-sets/{catalogue['draft'].pk}/", {})
    assert put.status_code == 405 and put["Content-Type"] == "application/problem+json"


def test_a_write_to_an_unknown_path_is_a_404_problem_not_a_csrf_page(people):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(people["owner"])
    response = client.post("/api/v1/nowhere/", {"x": 1}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_oversized_bodies_are_413(people, settings, catalogue):
    client = client_for("owner", people)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/api/v1/image-sets/", {"title": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    url = f"/api/v1/image-sets/{catalogue['draft'].pk}/images/"
    settings.API_MAX_UPLOAD_BYTES = 2000
    big = SimpleUploadedFile("big.jpg", b"\xff" * 10_000, "image/jpeg")
    assert client.post(url, {"files": [big]}, format="multipart").status_code == 413
    settings.API_MAX_UPLOAD_BYTES = 10**9
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [SimpleUploadedFile(f"{n}.jpg", b"x", "image/jpeg") for n in range(3)]
    response = client.post(url, {"files": files}, format="multipart")
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_throttled_per_address_and_per_token(people, settings, make_token):
    settings.API_THROTTLE_RATES = {"token": "3/min", "address": "2/min"}
    client = client_for("anonymous", people)
    assert [client.get("/api/v1/image-sets/").status_code for _ in range(3)] == [200, 200, 429]
    limited = client.get("/api/v1/image-sets/")
    assert limited["Content-Type"] == "application/problem+json"
    assert int(limited["Retry-After"]) > 0
    # A token has its own budget, separate from the address's.
    _, secret = make_token(scopes=("read",))
    statuses = [bearer(secret).get("/api/v1/image-sets/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    # A signed-in session (the web UI) is counted per user, apart from the address.
    session = client_for("owner", people)
    statuses = [session.get("/api/v1/image-sets/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = client_for("other", people)
    assert other.get("/api/v1/image-sets/").status_code == 200


def test_docs_are_served_without_cdn(db, client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = client.get(page).content.decode()
        assert "cdn." not in html and "jsdelivr" not in html
        assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/v1/image-sets/?platform=RV%00Belgica", 400, "platform"),
        ("/api/v1/search/?q=diatom%00", 400, "q"),
        ("/api/v1/search/suggestions/?q=dia%00", 400, "q"),
        ("/api/v1/images/?image_set=1.5e%2B261", 400, "image_set"),
        ("/api/v1/images/?image_set=99999999999999999999", 400, "image_set"),
        ("/api/v1/image-sets/%0Anope/", 404, None),
    ],
)
def test_hostile_parameters_are_problems_not_500(people, url, status, field):
    """Inputs schemathesis once turned into server errors."""
    response = client_for("anonymous", people).get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    if field:
        assert field in response.json()["errors"]
