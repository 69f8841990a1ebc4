"""Upload without JavaScript: a plain multipart form, ingested in the request."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalogue import services
from catalogue.access import SYSTEM
from tests.catalogue.conftest import real_jpegs
from tests.curation.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_upload_page_posts_files_to_the_api_and_to_itself(people):
    image_set = services.create_image_set(title="Target", owner=people["owner"], actor=SYSTEM)
    text = client_for(people["owner"]).get(f"/curate/sets/{image_set.uuid}/upload").content
    text = text.decode()
    assert f'data-api="/api/v1/image-sets/{image_set.pk}/images/"' in text
    assert 'enctype="multipart/form-data"' in text
    assert 'type="file" name="files"' in text
    assert "csrfmiddlewaretoken" in text


def test_fallback_ingests_real_jpegs_and_reports_a_fake_one(people):
    image_set = services.create_image_set(title="Target", owner=people["owner"], actor=SYSTEM)
    jpegs = real_jpegs(3)
    files = [SimpleUploadedFile(p.name, p.read_bytes(), "image/jpeg") for p in jpegs]
    files.append(SimpleUploadedFile(jpegs[0].name.replace(".jpg", "-copy.jpg"),
                                    jpegs[0].read_bytes(), "image/jpeg"))  # fmt: skip
    files.append(
        SimpleUploadedFile("not-a-picture.jpg", b"<!doctype html><html>no</html>", "image/jpeg")
    )
    response = client_for(people["owner"]).post(
        f"/curate/sets/{image_set.uuid}/upload", {"files": files}
    )
    assert response.status_code == 200
    assert image_set.images.count() == 3
    text = response.content.decode()
    assert "Ingest report" in text
    assert '<strong data-count="added">3</strong>' in text
    assert '<strong data-count="rejected">1</strong>' in text
    assert '<strong data-count="duplicates">1</strong>' in text
    assert "not-a-picture.jpg" in text
    reason = response.context["report"].rejected[0]["reason"]
    assert reason and reason in text
    assert jpegs[0].name in text  # what the duplicate duplicates
    assert f'href="/sets/{image_set.uuid}/"' in text


def test_fallback_without_files_says_so(people):
    image_set = services.create_image_set(title="Target", owner=people["owner"], actor=SYSTEM)
    response = client_for(people["owner"]).post(f"/curate/sets/{image_set.uuid}/upload", {})
    assert response.status_code == 200
    assert "Choose one or more files" in response.content.decode()
    assert not image_set.ingests.exists()


def test_others_cannot_upload(people):
    image_set = services.create_image_set(title="Target", owner=people["owner"], actor=SYSTEM)
    jpeg = real_jpegs(1)[0]
    response = client_for(people["other"]).post(
        f"/curate/sets/{image_set.uuid}/upload",
        {"files": [SimpleUploadedFile(jpeg.name, jpeg.read_bytes())]},
    )
    assert response.status_code == 404
    assert not image_set.images.exists()


def test_the_api_upload_used_by_the_page_takes_a_session_with_csrf(people):
    """The page's script posts with the session cookie and the X-CSRFToken header."""

    image_set = services.create_image_set(title="Target", owner=people["owner"], actor=SYSTEM)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["owner"])
    page = client.get(f"/curate/sets/{image_set.uuid}/upload")
    token = page.context["csrf_token"]
    jpeg = real_jpegs(1)[0]
    url = f"/api/v1/image-sets/{image_set.pk}/images/"
    refused = client.post(url, {"files": [SimpleUploadedFile(jpeg.name, jpeg.read_bytes())]})
    assert refused.status_code == 403
    answer = client.post(
        url,
        {"files": [SimpleUploadedFile(jpeg.name, jpeg.read_bytes())]},
        headers={"X-CSRFToken": str(token)},
    )
    assert answer.status_code == 201
    assert answer.json()["added"] == 1
