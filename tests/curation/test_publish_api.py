"""POST /api/v1/image-sets/<id>/publish/, GET /api/v1/deposits/<id>/ and POST
/api/v1/image-sets/<id>/versions/ through the HTTP client: every status, the
token scopes, and the deposit document. The worker is stood in for by calling
run_deposit (the test's transaction never commits, so no task is sent), except in
the last test, where a real worker process runs it."""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from aquacat import tokens
from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from curation.models import Deposit
from curation.services.deposits import run_deposit
from tests.curation.conftest import CREATORS, ready_set

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def published_set(people, **fields) -> ImageSet:
    """Published without a repository and without a deposit (as the demo loader does)."""
    image_set = ready_set(people, **fields)
    return services.publish_image_set(image_set, actor=SYSTEM)


def session(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def bearer(user, *scopes: str) -> APIClient:
    name = f"t{user.api_tokens.count()}-{'-'.join(scopes)}"
    _, secret = tokens.create_token(user=user, name=name, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def publish_url(image_set) -> str:
    return f"/api/v1/image-sets/{image_set.pk}/publish/"


def versions_url(image_set) -> str:
    return f"/api/v1/image-sets/{image_set.pk}/versions/"


def deposit_url(pk) -> str:
    return f"/api/v1/deposits/{pk}/"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["instance"] == response.wsgi_request.path
    return body


# --- publish ---------------------------------------------------------------------------


def test_publishing_answers_202_with_the_deposit_and_asking_again_the_same(people):
    image_set = ready_set(people)
    client = session(people["owner"])
    response = client.post(publish_url(image_set), {}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    deposit = Deposit.objects.get(image_set=image_set)
    assert response["Location"] == f"http://testserver/api/v1/deposits/{deposit.pk}/"
    assert body["id"] == deposit.pk and body["state"] == "queued"
    assert body["image_set"] == {
        "id": image_set.pk,
        "url": f"http://testserver/api/v1/image-sets/{image_set.pk}/",
    }
    assert body["target"] is None  # no repository configured: frozen, no DOI
    assert body["files"] == {"done": 0, "total": 0} and body["steps"] == []
    image_set.refresh_from_db()
    assert image_set.state == "publishing"

    # A second click while the first runs: the same deposit, nothing new.
    again = session(people["curator"]).post(publish_url(image_set))
    assert again.status_code == 202 and again.json()["id"] == deposit.pk
    assert again["Location"] == response["Location"]
    assert Deposit.objects.filter(image_set=image_set).count() == 1


def test_the_deposit_document_follows_the_deposit(people):
    image_set = ready_set(people)
    client = session(people["owner"])
    location = client.post(publish_url(image_set))["Location"]
    queued = client.get(location)
    assert queued.status_code == 200 and queued.json()["state"] == "queued"
    etag = queued["ETag"]
    assert client.get(location, HTTP_IF_NONE_MATCH=etag).status_code == 304

    deposit = run_deposit(int(location.rstrip("/").rsplit("/", 1)[1]))  # the worker's part
    response = client.get(location, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    body = response.json()
    assert set(body) == {
        "id",
        "image_set",
        "target",
        "state",
        "steps",
        "files",
        "remote_id",
        "remote_url",
        "doi",
        "concept_doi",
        "error",
        "errors",
        "created",
        "updated",
    }
    assert body["state"] == "published" and body["error"] == "" and body["errors"] == {}
    assert [step["step"] for step in body["steps"]] == [
        "no repository: the landing page is the identifier",
        "published",
    ]
    assert all(set(step) == {"step", "at", "detail"} and step["at"] for step in body["steps"])
    assert body["doi"] == "" and body["remote_url"] == ""
    image_set.refresh_from_db()
    assert image_set.state == "published"

    # Publishing a set its deposit has published: the same deposit, done (200).
    again = client.post(publish_url(image_set))
    assert again.status_code == 200 and again.json()["id"] == deposit.pk


def test_a_refused_deposit_shows_the_repository_messages_and_may_be_retried(people, targets):
    targets(refusing="refusing")
    image_set = ready_set(people)
    client = session(people["owner"])
    first = client.post(publish_url(image_set), {"target": "refusing"}, format="json")
    assert first.status_code == 202 and first.json()["target"] == "refusing"
    run_deposit(first.json()["id"])
    body = client.get(first["Location"]).json()
    assert body["state"] == "failed"
    assert body["error"] == "The repository refused the record (400)."
    assert body["errors"] == {
        "metadata.creators": ["Missing affiliation."],
        "metadata.title": ["Too short.", "Not in English."],
    }
    assert body["remote_id"] == "abc12-3de45"
    assert [step["step"] for step in body["steps"]] == ["draft created"]
    image_set.refresh_from_db()
    assert image_set.state == "draft"  # to be fixed and published again

    retry = client.post(publish_url(image_set), {"target": "refusing"}, format="json")
    assert retry.status_code == 202 and retry.json()["id"] != body["id"]


def test_every_checklist_problem_at_once_and_nothing_changes(people):
    image_set = ready_set(people, images=0, creators=[])
    response = session(people["owner"]).post(publish_url(image_set))
    body = assert_problem(response, 409)  # the set is not ready: its state, not the request
    assert {"creators", "images"} <= set(body["errors"])
    assert all(body["errors"][name] for name in ("creators", "images"))
    image_set.refresh_from_db()
    assert image_set.state == "draft"
    assert not Deposit.objects.exists()


def test_an_unknown_target_is_a_404_naming_target(people, targets):
    targets(refusing="refusing")
    image_set = ready_set(people)
    response = session(people["owner"]).post(
        publish_url(image_set), {"target": "zenodo"}, format="json"
    )
    body = assert_problem(response, 404)
    assert list(body["errors"]) == ["target"] and "zenodo" in body["errors"]["target"][0]
    bad_body = session(people["owner"]).post(publish_url(image_set), {"target": 3}, format="json")
    assert_problem(bad_body, 400)
    image_set.refresh_from_db()
    assert image_set.state == "draft" and not Deposit.objects.exists()


def test_who_may_publish(people):
    draft = ready_set(people)
    public = published_set(people, title="Open and published")
    restricted = published_set(people, title="Restricted", access="restricted")
    other = session(people["other"])
    assert_problem(other.post(publish_url(draft)), 404)  # a draft: not theirs to see
    assert_problem(other.post(publish_url(restricted)), 404)
    assert_problem(other.post(publish_url(public)), 403)  # seen, not theirs to publish
    assert_problem(other.post("/api/v1/image-sets/987654/publish/"), 404)
    assert_problem(session().post(publish_url(draft)), 401)
    # Published without a deposit: nothing to answer but "it is frozen".
    assert_problem(session(people["owner"]).post(publish_url(public)), 409)
    assert_problem(session(people["staff"]).post(publish_url(public)), 409)
    draft.refresh_from_db()
    assert draft.state == "draft" and not Deposit.objects.exists()
    # Staff may publish what they do not own.
    assert session(people["staff"]).post(publish_url(draft)).status_code == 202


def test_publishing_needs_the_publish_scope(people):
    image_set = ready_set(people)
    body = assert_problem(
        bearer(people["owner"], "read", "write").post(publish_url(image_set)), 403
    )
    assert "scope" in body["detail"]
    assert not Deposit.objects.exists()
    response = bearer(people["curator"], "publish").post(publish_url(image_set))
    assert response.status_code == 202
    # Following the deposit is a read: "read" needed, "publish" alone is not enough.
    assert_problem(bearer(people["curator"], "publish").get(response["Location"]), 403)
    follower = bearer(people["owner"], "read")
    assert follower.get(response["Location"]).json()["id"] == response.json()["id"]


def test_a_deposit_is_seen_only_by_those_who_curate_its_set(people):
    image_set = ready_set(people)
    pk = session(people["owner"]).post(publish_url(image_set)).json()["id"]
    run_deposit(pk)  # published and open: anybody sees the set, not its deposit
    for who in ("owner", "curator", "staff"):
        assert session(people[who]).get(deposit_url(pk)).status_code == 200, who
    for client in (session(people["other"]), session()):
        assert_problem(client.get(deposit_url(pk)), 404)
    assert_problem(session(people["staff"]).get(deposit_url(pk + 1000)), 404)
    # Nor may they ask to publish it again: 403, the same deposit is not shown.
    assert_problem(session(people["other"]).post(publish_url(image_set)), 403)


# --- new versions -------------------------------------------------------------------


def test_a_new_version_is_a_draft_and_asking_again_gives_the_same(people):
    first = published_set(people, version="1.0")
    client = session(people["curator"])
    response = client.post(versions_url(first))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        response["Location"] == body["url"] == f"http://testserver/api/v1/image-sets/{body['id']}/"
    )
    assert body["id"] != first.pk and body["state"] == "draft" and body["version"] == "1.1"
    assert body["title"] == first.title and body["creators"] == CREATORS
    assert body["owner"] == "owner" and body["curators"] == ["curator"] and body["can_edit"]
    assert {"relation_type": "IsNewVersionOf", "identifier_type": "URL"}.items() <= (
        body["related_identifiers"][-1].items()
    )
    draft = ImageSet.objects.get(pk=body["id"])
    assert draft.images.count() == first.images.count() == 2
    assert client.get(response["Location"]).json() == body  # the detail view's representation

    again = session(people["owner"]).post(versions_url(first))
    assert again.status_code == 201 and again.json()["id"] == body["id"]
    assert ImageSet.objects.filter(previous_version=first).count() == 1


def test_who_may_make_a_new_version(people):
    draft = ready_set(people)
    public = published_set(people, title="Open and published")
    restricted = published_set(people, title="Restricted", access="restricted")
    owner = session(people["owner"])
    body = assert_problem(owner.post(versions_url(draft)), 409)  # only a published set
    assert "published" in body["detail"]
    other = session(people["other"])
    assert_problem(other.post(versions_url(public)), 403)
    assert_problem(other.post(versions_url(restricted)), 404)
    assert_problem(other.post(versions_url(draft)), 404)
    assert_problem(session().post(versions_url(public)), 401)
    # A write: a token needs "write"; "publish" is not enough.
    assert_problem(bearer(people["owner"], "read", "publish").post(versions_url(public)), 403)
    assert ImageSet.objects.count() == 3
    assert bearer(people["owner"], "write").post(versions_url(public)).status_code == 201
    assert session(people["staff"]).post(versions_url(restricted)).status_code == 201


# --- a real worker ------------------------------------------------------------------


@pytest.mark.services("postgres", "redis")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_publishes_what_the_api_was_asked_to(people, celery_worker):
    image_set = ready_set(people)
    client = session(people["owner"])
    response = client.post(publish_url(image_set))
    assert response.status_code == 202
    deadline = time.monotonic() + 60
    body = response.json()
    while body["state"] != "published" and time.monotonic() < deadline:
        time.sleep(0.25)
        body = client.get(response["Location"]).json()
    assert body["state"] == "published", body
    image_set.refresh_from_db()
    assert image_set.state == "published"
