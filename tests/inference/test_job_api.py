"""POST/GET /api/v1/jobs/, cancel and retry: scopes, per-field problems, and jobs
that exist only for their user and staff. Tasks are not sent here (the test's
transaction never commits); the services and worker tests run the batches."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from aquacat import tokens
from inference.models import InferenceJob, JobBatch
from inference.services import register_embedder
from inference.services.batches import process_batch
from tests.inference.conftest import make_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(owner, django_user_model):
    return {
        "owner": owner,
        "other": django_user_model.objects.create_user("someone-else"),
        "staff": django_user_model.objects.create_user("admin", is_staff=True),
    }


@pytest.fixture
def sets(tmp_path, owner):
    """An open set and a restricted one, both the owner's."""
    open_set = make_set(tmp_path / "open", 4, owner=owner, title="Open FlowCam")
    restricted = make_set(
        tmp_path / "restricted", 3, owner=owner, title="Restricted FlowCam", access="restricted"
    )
    return {"open": open_set, "restricted": restricted}


def session(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def bearer(user, scopes) -> APIClient:
    _, secret = tokens.create_token(user=user, name=f"t-{'-'.join(scopes)}", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def post_job(client, version, selection, **extra):
    body = {"model_version": getattr(version, "pk", version), "selection": selection, **extra}
    return client.post("/api/v1/jobs/", body, format="json")


def test_starting_a_job_on_a_set_and_on_image_ids(classifier, sets, people):
    client = session(people["owner"])
    response = post_job(client, classifier, {"image_set": sets["open"].pk}, batch_size=3)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "queued" and body["total"] == 4
    assert body["model_version"] == classifier.pk and body["model"] == classifier.model.name
    assert body["progress"]["batches"] == {"pending": 2}
    assert response["Location"].endswith(f"/api/v1/jobs/{body['id']}/")
    job = InferenceJob.objects.get(pk=body["id"])
    assert job.created_by == people["owner"] and job.batch_size == 3

    ids = sorted(sets["restricted"].images.values_list("pk", flat=True))
    other = session(people["other"])
    mixed = ids + list(sets["open"].images.values_list("pk", flat=True)[:1])
    response = post_job(other, classifier, {"image_ids": mixed})
    assert response.status_code == 201 and response.json()["total"] == 1  # only what they see
    assert post_job(client, classifier, {"image_ids": ids}).json()["total"] == 3


@pytest.mark.parametrize(
    "selection, field",
    [
        ({}, "selection"),
        ([1, 2], "selection"),
        ({"image_set": 1, "image_ids": [1]}, "selection"),
        ({"everything": True}, "selection"),
        ({"image_set": "one"}, "selection.image_set"),
        ({"image_set": True}, "selection.image_set"),
        ({"image_ids": "1,2"}, "selection.image_ids"),
        ({"image_ids": [1, "x"]}, "selection.image_ids"),
        ({"search": "plankton"}, "selection.search"),
        ({"search": {"colour": "blue"}}, "selection.search.colour"),
        ({"search": {"kind": "video"}}, "selection.search.kind"),
    ],
)
def test_a_bad_selection_is_a_problem_naming_the_field(classifier, sets, people, selection, field):
    response = post_job(session(people["owner"]), classifier, selection)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"], response.json()
    assert not InferenceJob.objects.exists()


def test_unknown_versions_and_selections_of_nothing_visible_are_problems(classifier, sets, people):
    client = session(people["other"])
    unknown = post_job(client, classifier.pk + 999, {"image_set": sets["open"].pk})
    assert unknown.status_code == 404 and "model_version" in unknown.json()["errors"]
    missing = client.post("/api/v1/jobs/", {"selection": {"image_set": 1}}, format="json")
    assert missing.status_code == 400 and "model_version" in missing.json()["errors"]
    for selection in ({"image_set": sets["restricted"].pk}, {"image_set": 10**9}):
        response = post_job(client, classifier, selection)
        assert response.status_code == 404
        assert response.json()["errors"] == {"selection": ["selects no image you may see"]}
    bad_size = post_job(client, classifier, {"image_set": sets["open"].pk}, batch_size=0)
    assert bad_size.status_code == 400 and "batch_size" in bad_size.json()["errors"]
    assert not InferenceJob.objects.exists()


def test_writes_need_a_signed_in_caller_with_the_write_scope(classifier, sets, people):
    selection = {"image_set": sets["open"].pk}
    anonymous = post_job(APIClient(), classifier, selection)
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    read_only = bearer(people["owner"], ["read"])
    assert post_job(read_only, classifier, selection).status_code == 403
    writer = bearer(people["owner"], ["read", "write"])
    response = post_job(writer, classifier, selection)
    assert response.status_code == 201
    job_id = response.json()["id"]
    assert read_only.post(f"/api/v1/jobs/{job_id}/cancel/").status_code == 403
    assert read_only.get("/api/v1/jobs/").json()["results"][0]["id"] == job_id
    assert writer.post(f"/api/v1/jobs/{job_id}/cancel/").status_code == 200


def test_the_job_list_shows_the_callers_jobs_and_staff_every_job(classifier, sets, people):
    mine = [
        post_job(session(people["owner"]), classifier, {"image_set": sets["open"].pk}).json()["id"]
        for _ in range(3)
    ]
    theirs = post_job(session(people["other"]), classifier, {"image_set": sets["open"].pk})
    theirs = theirs.json()["id"]

    def listed(client, **params):
        response = client.get("/api/v1/jobs/", params)
        assert response.status_code == 200
        return response.json()

    assert [j["id"] for j in listed(session(people["owner"]))["results"]] == mine[::-1]
    assert [j["id"] for j in listed(session(people["other"]))["results"]] == [theirs]
    assert [j["id"] for j in listed(session(people["staff"]))["results"]] == [theirs, *mine[::-1]]
    assert listed(APIClient())["results"] == []
    first = listed(session(people["owner"]), page_size=2)
    assert len(first["results"]) == 2 and first["next"]
    rest = session(people["owner"]).get(first["next"]).json()
    assert [j["id"] for j in rest["results"]] == [mine[0]]
    assert first["results"][0]["progress"]["state"] == "queued"


def test_cancel_and_retry(classifier, sets, people):
    client = session(people["owner"])
    job_id = post_job(client, classifier, {"image_set": sets["open"].pk}, batch_size=2).json()["id"]
    first, second = JobBatch.objects.filter(job_id=job_id).order_by("number")
    process_batch(first.pk)
    assert client.post(f"/api/v1/jobs/{job_id}/retry/").status_code == 409  # still running
    response = client.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "cancelled" and body["progress"]["skipped"] == 2
    again = client.post(f"/api/v1/jobs/{job_id}/cancel/")
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"

    response = client.post(f"/api/v1/jobs/{job_id}/retry/")
    assert response.status_code == 200 and response.json()["state"] == "running"
    process_batch(second.pk)
    done = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert done["state"] == "done" and done["progress"]["processed"] == 4
    assert client.post(f"/api/v1/jobs/{job_id}/retry/").json()["state"] == "done"  # nothing to do


@pytest.mark.parametrize("who", ["other", "anonymous"])
def test_someone_elses_job_cannot_be_cancelled_or_retried(classifier, sets, people, who):
    job_id = post_job(session(people["owner"]), classifier, {"image_set": sets["open"].pk}).json()[
        "id"
    ]
    client = session(people.get(who))
    for action in ("cancel", "retry"):
        response = client.post(f"/api/v1/jobs/{job_id}/{action}/")
        # To someone else the job does not exist; to no one, writes need a sign-in.
        assert response.status_code == (404 if who == "other" else 401)
        assert response["Content-Type"] == "application/problem+json"
    assert session(people["staff"]).post(f"/api/v1/jobs/{job_id}/cancel/").status_code == 200
    assert InferenceJob.objects.get(pk=job_id).state == "cancelled"


def test_an_embedding_job_can_be_started_through_the_api(sets, people):
    version = register_embedder()
    response = post_job(session(people["owner"]), version, {"image_set": sets["open"].pk})
    assert response.status_code == 201 and response.json()["model"] == version.model.name
    job = InferenceJob.objects.get(pk=response.json()["id"])
    for batch in job.batches.all():
        process_batch(batch.pk)
    job.refresh_from_db()
    assert job.state == "done" and job.embeddings.count() == 4
