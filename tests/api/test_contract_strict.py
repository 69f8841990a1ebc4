"""What made the API contract exact, each part on its own: bodies read as strictly as
the schema states them (types, unknown properties, least lengths), refusals of a
resource's state answered 409 and references that find nothing 404, each naming its
field, and the OpenAPI links that lead from an answer to what it made."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client

from catalogue.api.problems import MEDIA_TYPE
from tests.api.conftest import bearer


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return yaml.safe_load(Client().get("/api/v1/schema/").content)


def problem_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == MEDIA_TYPE
    return response.json()


@pytest.fixture
def writer(people, make_token):
    _token, secret = make_token(scopes=("read", "write", "publish"))
    return bearer(secret)


def test_text_booleans_and_numbers_are_their_json_types(writer):
    body = {"name": 5, "labels": [{"name": "Copepoda", "shortcut": 0}]}
    errors = problem_of(writer.post("/api/v1/label-sets/", body, format="json"), 400)["errors"]
    assert errors == {"name": ["must be a string"], "labels.0.shortcut": ["must be a string"]}
    versions = {"retire": [0], "merge": {"A": [1]}}
    made = writer.post("/api/v1/label-sets/", {"name": "Taxa"}, format="json").json()
    errors = problem_of(
        writer.post(f"/api/v1/label-sets/{made['uuid']}/versions/", versions, format="json"),
        400,
    )["errors"]
    assert errors == {"retire.0": ["must be a string"], "merge.A.0": ["must be a string"]}


def test_unknown_properties_are_refused_by_name(writer, catalogue):
    draft = catalogue["draft"]
    body = {"file_name": "a.zip", "size": 10, "without_metadata": 0, "colour": "red"}
    errors = problem_of(
        writer.post(f"/api/v1/image-sets/{draft.pk}/uploads/", body, format="json"), 400
    )["errors"]
    assert errors["without_metadata"] == ["must be true or false"]
    assert errors["colour"][0].startswith("not a field of this request (one of: ")
    patch = {"title": "Renamed", "errors": {"title": "x"}}
    errors = problem_of(writer.patch(f"/api/v1/image-sets/{draft.pk}/", patch, format="json"), 400)[
        "errors"
    ]
    assert list(errors) == ["errors"]
    draft.refresh_from_db()
    assert draft.title != "Renamed"  # nothing half-applied


def test_the_schema_says_what_is_refused(schema):
    components = schema["components"]["schemas"]
    for name in ("LabelSetCreateRequest", "StartRequest", "PatchedImageSetWriteRequest"):
        assert components[name]["additionalProperties"] is False, name
    assert components["LabelsAddRequest"]["properties"]["labels"]["minItems"] == 1
    assert components["PartsRequest"]["properties"]["parts"]["minItems"] == 1
    assert components["UndoRequest"]["properties"]["events"]["minItems"] == 1
    size = components["StartRequest"]["properties"]["size"]
    assert size["maximum"] > size["minimum"] == 1
    similar = schema["paths"]["/api/v1/images/similar/"]["post"]["requestBody"]
    assert similar["required"] is True


def test_state_refusals_are_conflicts_and_missing_references_not_found(writer, catalogue):
    empty = writer.post("/api/v1/label-sets/", {"name": "Empty"}, format="json").json()
    refused = problem_of(writer.post(f"/api/v1/label-sets/{empty['uuid']}/publish/"), 409)
    assert list(refused["errors"]) == ["labels"]
    draft = catalogue["draft"]
    unready = problem_of(writer.post(f"/api/v1/image-sets/{draft.pk}/publish/"), 409)
    assert "creators" in unready["errors"]
    nobody = {"reviewers": ["nobody-has-this-name"]}
    missing = problem_of(
        writer.put(f"/api/v1/image-sets/{draft.pk}/reviewers/", nobody, format="json"), 404
    )
    assert list(missing["errors"]) == ["reviewers"]
    undo = problem_of(
        writer.post("/api/v1/annotations/undo/", {"events": [99999]}, format="json"), 404
    )
    assert list(undo["errors"]) == ["events"]
    image = draft.images.first()
    unknown = {"image": image.pk, "label": 99999}
    assert list(
        problem_of(writer.post("/api/v1/annotations/", unknown, format="json"), 404)["errors"]
    ) == ["label"]


def test_a_search_token_not_made_here_finds_no_page(people, catalogue, writer):
    answer = problem_of(writer.get("/api/v1/search/?after=made-up"), 404)
    assert list(answer["errors"]) == ["after"]


def test_a_least_confidence_above_the_greatest_matches_nothing(writer, catalogue):
    response = writer.get("/api/v1/annotations/?confidence_min=0.9&confidence_max=0.1")
    assert response.status_code == 200 and response.json()["results"] == []


def test_links_lead_from_what_an_answer_made(schema):
    created = schema["paths"]["/api/v1/image-sets/"]["post"]["responses"]["201"]["links"]
    assert created["image_sets_uploads_create"] == {
        "operationId": "image_sets_uploads_create",
        "parameters": {"id": "$response.body#/id"},
    }
    upload = schema["paths"]["/api/v1/image-sets/{id}/uploads/"]["post"]["responses"]["201"]
    assert upload["links"]["uploads_partial_update"]["parameters"] == {
        "upload_id": "$response.body#/id"
    }
    for path, method, code, target in [
        ("/api/v1/annotations/", "post", "201", "annotations_history_retrieve"),
        ("/api/v1/jobs/", "post", "201", "jobs_cancel"),
        ("/api/v1/image-sets/{id}/publish/", "post", "202", "deposits_retrieve"),
        ("/api/v1/label-sets/", "post", "201", "label_sets_publish_create"),
        ("/api/v1/images/", "get", "200", "images_similar"),
    ]:
        links = schema["paths"][path][method]["responses"][code]["links"]
        assert target in links, (path, target)
    first_image = schema["paths"]["/api/v1/images/"]["get"]["responses"]["200"]["links"]
    assert first_image["images_retrieve"]["parameters"] == {"id": "$response.body#/results/0/id"}
