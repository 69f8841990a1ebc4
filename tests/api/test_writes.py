"""Create, partial update, upload and delete through the API, with their refusals."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalogue.models import ImageSet
from tests.api.conftest import client_for
from tests.catalogue.conftest import real_jpegs

pytestmark = pytest.mark.django_db


def test_create_reports_errors_per_field(people):
    client = client_for("owner", people)
    response = client.post(
        "/api/v1/image-sets/",
        {"title": "", "licence": "not-a-licence", "access": "embargoed", "south": 95},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert {"title", "licence"} <= set(errors)
    # Rules of the model itself come back from the service with their field names.
    response = client.post(
        "/api/v1/image-sets/", {"title": "Embargoed", "access": "embargoed"}, format="json"
    )
    assert response.status_code == 400
    assert "embargo_until" in response.json()["errors"]
    assert not ImageSet.objects.exists()


def test_create_then_patch(people):
    client = client_for("owner", people)
    created = client.post(
        "/api/v1/image-sets/",
        {"title": "Diatoms", "keywords": ["diatoms"], "creators": [{"name": "A. Person"}]},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["state"] == "draft" and body["can_edit"] is True
    assert created["Location"] == body["url"]
    patched = client.patch(body["url"], {"instrument": "FlowCam"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["instrument"] == "FlowCam"
    bad = client.patch(body["url"], {"creators": [{"orcid": "x"}]}, format="json")
    assert bad.status_code == 400
    assert "creators" in bad.json()["errors"]
    # Someone else cannot see the draft at all; a curator of nothing gets 404 too.
    assert client_for("other", people).patch(body["url"], {"title": "x"}).status_code == 404


def test_published_sets_are_immutable(people, catalogue):
    client = client_for("owner", people)
    public = catalogue["public"]
    for response in (
        client.patch(f"/api/v1/image-sets/{public.pk}/", {"title": "new"}, format="json"),
        client.delete(f"/api/v1/image-sets/{public.pk}/"),
    ):
        assert response.status_code == 409
        assert response["Content-Type"] == "application/problem+json"
        assert "immutable" in response.json()["detail"]
    # Visible to another user, but theirs to change? No: 403.
    other = client_for("other", people)
    assert other.delete(f"/api/v1/image-sets/{public.pk}/").status_code == 403
    draft = catalogue["draft"]
    assert other.delete(f"/api/v1/image-sets/{draft.pk}/").status_code == 404
    assert client.delete(f"/api/v1/image-sets/{draft.pk}/").status_code == 204
    assert not ImageSet.objects.filter(pk=draft.pk).exists()


def test_upload_many_files_with_a_hostile_one(people):
    client = client_for("owner", people)
    image_set = client.post("/api/v1/image-sets/", {"title": "Uploads"}, format="json").json()
    paths = real_jpegs(3)
    files = [SimpleUploadedFile(p.name, p.read_bytes(), "image/jpeg") for p in paths]
    files.append(SimpleUploadedFile("evil.jpg", b"<html><script>alert(1)</script>", "image/jpeg"))
    response = client.post(f"{image_set['url']}images/", {"files": files}, format="multipart")
    assert response.status_code == 207, response.content
    report = response.json()
    assert report["added"] == 3
    assert [r["name"] for r in report["rejected"]] == ["evil.jpg"]
    assert report["rejected"][0]["reason"]
    images = client.get("/api/v1/images/", {"image_set": image_set["id"]}).json()["results"]
    assert sorted(i["file_name"] for i in images) == sorted(p.name for p in paths)
    # The same files again are duplicates, not new images.
    again = [SimpleUploadedFile(p.name, p.read_bytes(), "image/jpeg") for p in paths[:1]]
    response = client.post(f"{image_set['url']}images/", {"files": again}, format="multipart")
    assert response.status_code == 207 and len(response.json()["duplicates"]) == 1
    # Uploading nothing is a field error.
    empty = client.post(f"{image_set['url']}images/", {}, format="multipart")
    assert empty.status_code == 400 and "files" in empty.json()["errors"]


def test_upload_into_clean_set_is_201(people):
    client = client_for("owner", people)
    image_set = client.post("/api/v1/image-sets/", {"title": "Clean"}, format="json").json()
    path = real_jpegs(1)[0]
    upload = SimpleUploadedFile(path.name, path.read_bytes(), "image/jpeg")
    response = client.post(f"{image_set['url']}images/", {"files": [upload]}, format="multipart")
    assert response.status_code == 201
    assert response.json()["added"] == 1
