"""Resumable uploads through the API, against the live server and a real worker:
chunks to local storage (tus-like offsets) and presigned multipart parts to S3."""

from __future__ import annotations

import fcntl
import socket
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import boto3
import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from aquacat import tokens
from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import Image, Upload
from catalogue.uploads.services import expire_abandoned_uploads
from tests.catalogue.conftest import local_storages, real_jpegs, s3_storages
from tests.catalogue.uploads_support import (
    CHUNK_TYPE,
    checksum_header,
    file_sha256,
    send_chunks,
    sha256_hex,
    wait_finished,
    zip_of,
)

pytestmark = pytest.mark.services("postgres", "redis")
CHUNK = 4 * 1024  # the zips of real FlowCam images are small


@pytest.fixture(scope="module")
def staging(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("uploads")
    return {"media": root / "media", "staging": root / "staging"}


@pytest.fixture(scope="module")
def local_worker(start_worker, staging):
    """A worker on local files, reading the staging folder the live server writes."""
    return start_worker(
        "uploads-local",
        S3_BUCKET="",
        MEDIA_ROOT=str(staging["media"]),
        UPLOAD_STAGING_DIR=str(staging["staging"]),
    )


@pytest.fixture(scope="module")
def s3_worker(start_worker, staging):
    """A worker on the S3 server (the environment's storage)."""
    return start_worker("uploads-s3", UPLOAD_STAGING_DIR=str(staging["staging"]))


@pytest.fixture
def people(transactional_db):
    users = get_user_model().objects
    return {"owner": users.create_user("owner"), "other": users.create_user("other")}


@pytest.fixture
def image_set(people):
    return services.create_image_set(
        title="Uploaded plankton", licence="CC-BY-4.0", owner=people["owner"], actor=SYSTEM
    )


def session_of(user) -> requests.Session:
    _token, secret = tokens.create_token(user=user, name="uploads", scopes=("read", "write"))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {secret}"
    return session


@pytest.fixture
def local(settings, staging, live_server):
    settings.STORAGES = local_storages(staging["media"])
    settings.UPLOAD_STAGING_DIR = staging["staging"]
    settings.SEARCH_URL = ""
    return live_server.url


@pytest.fixture
def on_s3(settings, staging, live_server):
    settings.STORAGES = s3_storages(f"tests/{uuid.uuid4().hex}")
    settings.UPLOAD_STAGING_DIR = staging["staging"]
    settings.UPLOAD_PART_BYTES = 5 * 1024**2
    settings.SEARCH_URL = ""
    return live_server.url


def start(session, base, image_set, path: Path, **extra) -> requests.Response:
    body = {
        "file_name": path.name,
        "size": path.stat().st_size,
        "sha256": file_sha256(path),
        **extra,
    }
    return session.post(f"{base}/api/v1/image-sets/{image_set.pk}/uploads/", json=body)


def drop_mid_chunk(url: str, secret_header: str, offset: int, data: bytes, sent: int) -> None:
    """PATCH a chunk but close the connection after `sent` of its bytes: a dropped line."""
    target = urlparse(url)
    with socket.create_connection((target.hostname, target.port)) as sock:
        head = (
            f"PATCH {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\n"
            f"Authorization: {secret_header}\r\nContent-Type: {CHUNK_TYPE}\r\n"
            f"Upload-Offset: {offset}\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        sock.sendall(head.encode() + data[:sent])


def held_offset(session, url: str, at_least: int) -> int:
    """What the server holds, once the request cut short has been settled."""
    deadline = time.monotonic() + 30
    while True:
        answer = session.head(url)
        offset = int(answer.headers["Upload-Offset"])
        if offset >= at_least or time.monotonic() > deadline:
            return offset
        time.sleep(0.1)


def test_local_upload_cut_mid_chunk_resumes_and_the_worker_ingests_it(
    local, local_worker, settings, image_set, people, tmp_path, staging
):
    settings.UPLOAD_QUEUE = local_worker.queue
    archive = zip_of(real_jpegs(6), tmp_path / "flowcam.zip")
    session = session_of(people["owner"])
    answer = start(session, local, image_set, archive)
    assert answer.status_code == 201, answer.text
    upload = answer.json()
    assert upload["backend"] == "local" and upload["state"] == "uploading"
    url = upload["url"]

    first = archive.read_bytes()[:CHUNK]
    answer = session.patch(
        url, data=first, headers={"Content-Type": CHUNK_TYPE, "Upload-Offset": "0"}
    )
    assert answer.status_code == 204 and answer.headers["Upload-Offset"] == str(CHUNK)
    # The second chunk is cut after 1000 bytes: the server keeps what arrived.
    second = archive.read_bytes()[CHUNK : 2 * CHUNK]
    drop_mid_chunk(url, session.headers["Authorization"], CHUNK, second, 1000)
    offset = held_offset(session, url, CHUNK + 1000)
    assert offset == CHUNK + 1000
    # A chunk sent at another offset is refused with the offset the server holds.
    stale = session.patch(
        url, data=b"x", headers={"Content-Type": CHUNK_TYPE, "Upload-Offset": "0"}
    )
    assert stale.status_code == 409 and str(offset) in stale.text

    send_chunks(session, url, archive, offset, CHUNK)
    done = session.post(f"{url}complete/")
    assert done.status_code == 202, done.text
    assert done.json()["progress_url"] == url
    report = wait_finished(session, url)
    assert report["state"] == "done", report
    assert report["progress"]["files_total"] == 6
    assert report["batch"]["added"] == 6 and report["batch"]["status"] == "done"
    assert Image.objects.filter(image_set=image_set).count() == 6
    assert not (staging["staging"] / upload["id"]).exists()


def test_a_chunk_with_the_wrong_checksum_is_refused(local, image_set, people, tmp_path):
    archive = zip_of(real_jpegs(2), tmp_path / "two.zip")
    session = session_of(people["owner"])
    url = start(session, local, image_set, archive).json()["url"]
    data = archive.read_bytes()
    answer = session.patch(
        url,
        data=data,
        headers={
            "Content-Type": CHUNK_TYPE,
            "Upload-Offset": "0",
            "Upload-Checksum": checksum_header(data[:-1]),
        },
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == {"Upload-Checksum": ["the chunk's sha256 does not match"]}
    assert session.head(url).headers["Upload-Offset"] == "0"


def test_a_file_whose_sha256_differs_fails_and_leaves_nothing(
    local, local_worker, settings, image_set, people, tmp_path, staging
):
    settings.UPLOAD_QUEUE = local_worker.queue
    archive = zip_of(real_jpegs(3), tmp_path / "three.zip")
    session = session_of(people["owner"])
    upload = start(session, local, image_set, archive, sha256="0" * 64).json()
    send_chunks(session, upload["url"], archive, 0, CHUNK)
    assert session.post(f"{upload['url']}complete/").status_code == 202
    report = wait_finished(session, upload["url"])
    assert report["state"] == "failed"
    assert report["error"].startswith("sha256: the file received has ")
    assert not Image.objects.filter(image_set=image_set).exists()
    assert not (staging["staging"] / upload["id"]).exists()


def test_the_sha256_may_come_with_the_completion_instead_of_the_start(
    local, local_worker, settings, image_set, people, tmp_path, staging
):
    """A client that hashes while it sends gives the file's sha256 only at the end."""
    settings.UPLOAD_QUEUE = local_worker.queue
    archive = zip_of(real_jpegs(3), tmp_path / "three.zip")
    session = session_of(people["owner"])
    body = {"file_name": archive.name, "size": archive.stat().st_size}
    base = f"{local}/api/v1/image-sets/{image_set.pk}/uploads/"
    upload = session.post(base, json=body).json()
    assert upload["sha256"] == ""
    send_chunks(session, upload["url"], archive, 0, CHUNK)
    complete = f"{upload['url']}complete/"
    missing = session.post(complete, json={})  # the upload's state lacks it: a conflict
    assert missing.status_code == 409 and "sha256" in missing.json()["errors"]
    malformed = session.post(complete, json={"sha256": "abc"})
    assert malformed.status_code == 400 and "sha256" in malformed.json()["errors"]
    assert Upload.objects.get(uuid=upload["id"]).state == "uploading"
    done = session.post(complete, json={"sha256": file_sha256(archive).upper()})
    assert done.status_code == 202, done.text
    report = wait_finished(session, upload["url"])
    assert report["state"] == "done" and report["sha256"] == file_sha256(archive)
    assert Image.objects.filter(image_set=image_set).count() == 3


def test_a_sha256_at_the_completion_must_agree_with_the_one_at_the_start(
    local, image_set, people, tmp_path
):
    archive = zip_of(real_jpegs(1), tmp_path / "one.zip")
    session = session_of(people["owner"])
    upload = start(session, local, image_set, archive).json()
    send_chunks(session, upload["url"], archive, 0, CHUNK)
    other = session.post(f"{upload['url']}complete/", json={"sha256": "1" * 64})
    assert other.status_code == 409  # conflicts with the upload's own sha256
    assert "given at the start" in other.json()["errors"]["sha256"][0]
    assert Upload.objects.get(uuid=upload["id"]).state == "uploading"


def test_cancel_removes_the_staged_bytes(local, image_set, people, tmp_path, staging):
    archive = zip_of(real_jpegs(2), tmp_path / "two.zip")
    session = session_of(people["owner"])
    upload = start(session, local, image_set, archive).json()
    session.patch(
        upload["url"],
        data=archive.read_bytes()[:1000],
        headers={"Content-Type": CHUNK_TYPE, "Upload-Offset": "0"},
    )
    assert (staging["staging"] / upload["id"]).exists()
    assert session.delete(upload["url"]).status_code == 204
    assert not (staging["staging"] / upload["id"]).exists()
    # Gone once cancelled, as tus's termination extension has it (404, or 410).
    assert session.get(upload["url"]).status_code == 404
    assert Upload.objects.get(uuid=upload["id"]).state == "cancelled"
    later = session.patch(
        upload["url"], data=b"x", headers={"Content-Type": CHUNK_TYPE, "Upload-Offset": "1000"}
    )
    assert later.status_code == 404


def test_another_user_finds_no_upload_and_may_not_start_one(local, image_set, people, tmp_path):
    archive = zip_of(real_jpegs(1), tmp_path / "one.zip")
    upload = start(session_of(people["owner"]), local, image_set, archive).json()
    other = session_of(people["other"])
    chunk = {"Content-Type": CHUNK_TYPE, "Upload-Offset": "0"}
    assert other.get(upload["url"]).status_code == 404
    assert other.head(upload["url"]).status_code == 404
    assert other.patch(upload["url"], data=b"x", headers=chunk).status_code == 404
    assert other.post(f"{upload['url']}complete/").status_code == 404
    assert other.delete(upload["url"]).status_code == 404
    assert start(other, local, image_set, archive).status_code == 404  # a draft of another's
    assert requests.get(upload["url"], timeout=30).status_code == 404  # signed out
    assert Upload.objects.get(uuid=upload["id"]).state == "uploading"


def test_limits_size_concurrency_and_expiry(local, settings, image_set, people, tmp_path, staging):
    archive = zip_of(real_jpegs(1), tmp_path / "one.zip")
    session = session_of(people["owner"])
    settings.UPLOAD_MAX_BYTES = 100
    too_big = start(session, local, image_set, archive)
    assert too_big.status_code == 400
    assert "size" in too_big.json()["errors"]
    bad = session.post(
        f"{local}/api/v1/image-sets/{image_set.pk}/uploads/",
        json={"file_name": "", "size": 0, "sha256": "nope"},
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"file_name", "size", "sha256"}

    settings.UPLOAD_MAX_BYTES = 10**9
    settings.UPLOAD_MAX_CONCURRENT = 1
    first = start(session, local, image_set, archive).json()
    second = start(session, local, image_set, archive)
    assert second.status_code == 429 and "at most 1 at a time" in second.text

    Upload.objects.filter(uuid=first["id"]).update(expires="2000-01-01T00:00:00Z")
    assert expire_abandoned_uploads() == 1
    assert session.get(first["url"]).json()["state"] == "expired"
    assert not (staging["staging"] / first["id"]).exists()
    assert start(session, local, image_set, archive).status_code == 201


def s3_client():
    return boto3.client(
        "s3",
        endpoint_url=django_settings.S3_ENDPOINT_URL,
        aws_access_key_id=django_settings.S3_ACCESS_KEY_ID,
        aws_secret_access_key=django_settings.S3_SECRET_ACCESS_KEY,
        region_name=django_settings.S3_REGION,
    )


def in_progress_on_s3(key: str) -> list:
    answer = s3_client().list_multipart_uploads(Bucket=django_settings.S3_BUCKET, Prefix=key)
    return answer.get("Uploads", [])


def put_part(session, url: str, number: int, data: bytes, *, sha256: str | None = None):
    signed = session.post(
        f"{url}parts/", json={"parts": [{"number": number, "sha256": sha256 or sha256_hex(data)}]}
    )
    assert signed.status_code == 200, signed.text
    part = signed.json()["parts"][0]
    return requests.put(part["url"], data=data, headers=part["headers"], timeout=60)


@pytest.mark.services("s3")
def test_s3_multipart_upload_resumes_checks_parts_and_is_ingested(
    on_s3, s3_worker, settings, image_set, people, tmp_path
):
    settings.UPLOAD_QUEUE = s3_worker.queue
    archive = zip_of(real_jpegs(4), tmp_path / "flowcam.zip", padding=6 * 1024**2)
    data = archive.read_bytes()
    session = session_of(people["owner"])
    upload = start(session, on_s3, image_set, archive).json()
    assert upload["backend"] == "s3" and upload["part_count"] == 2
    url, size = upload["url"], upload["part_size"]
    key = Upload.objects.get(uuid=upload["id"]).staging

    assert put_part(session, url, 1, data[:size]).status_code == 200
    # A part whose bytes are not those signed is refused by S3 itself.
    wrong = put_part(session, url, 2, data[size:], sha256=sha256_hex(b"other bytes"))
    assert wrong.status_code == 400 and "Checksum" in wrong.text
    early = session.post(f"{url}complete/")
    assert early.status_code == 409 and "parts missing or incomplete: 2" in early.text
    # Resuming: the client asks which parts S3 holds and sends the others.
    held = session.get(url).json()["parts"]
    assert [p["number"] for p in held] == [1] and held[0]["sha256"] == sha256_hex(data[:size])
    assert put_part(session, url, 2, data[size:]).status_code == 200

    assert session.post(f"{url}complete/").status_code == 202
    report = wait_finished(session, url)
    assert report["state"] == "done", report
    assert report["batch"]["added"] == 4
    assert [r["name"] for r in report["batch"]["rejected"]] == ["padding.bin"]
    assert not in_progress_on_s3(key)
    assert "Contents" not in s3_client().list_objects_v2(
        Bucket=django_settings.S3_BUCKET, Prefix=key
    )


@pytest.mark.services("s3")
def test_s3_cancel_aborts_the_multipart_upload(on_s3, image_set, people, tmp_path):
    archive = zip_of(real_jpegs(2), tmp_path / "two.zip", padding=6 * 1024**2)
    session = session_of(people["owner"])
    upload = start(session, on_s3, image_set, archive).json()
    key = Upload.objects.get(uuid=upload["id"]).staging
    part = archive.read_bytes()[: upload["part_size"]]
    assert put_part(session, upload["url"], 1, part).status_code == 200
    assert in_progress_on_s3(key)
    assert session_of(people["other"]).delete(upload["url"]).status_code == 404
    assert session.delete(upload["url"]).status_code == 204
    assert not in_progress_on_s3(key)


def test_large_posts_are_ingested_by_the_worker_api_and_form(
    local, local_worker, settings, image_set, people, tmp_path, staging
):
    """Multipart posts over UPLOAD_IN_REQUEST_MAX_BYTES answer 202 (API) or come back
    to the page (form), which lists the worker's progress; small ones stay in the request."""
    settings.UPLOAD_QUEUE = local_worker.queue
    settings.UPLOAD_IN_REQUEST_MAX_BYTES = 1000
    first = zip_of(real_jpegs(3), tmp_path / "api.zip")
    session = session_of(people["owner"])
    with first.open("rb") as stream:
        answer = session.post(
            f"{local}/api/v1/image-sets/{image_set.pk}/images/", files={"files": stream}
        )
    assert answer.status_code == 202, answer.text
    (upload,) = answer.json()["uploads"]
    assert upload["state"] == "queued" and upload["sha256"] == file_sha256(first)
    assert wait_finished(session, upload["progress_url"])["batch"]["added"] == 3

    browser = Client()
    browser.force_login(people["owner"])
    page = reverse("curation:upload", args=[image_set.uuid])
    second = zip_of(real_jpegs(6)[3:], tmp_path / "form.zip")
    with second.open("rb") as stream:
        posted = browser.post(page, {"files": stream})
    assert posted.status_code == 302 and posted["Location"] == page
    (staged,) = Upload.objects.filter(file_name="form.zip")
    wait_finished(session, upload["url"].replace(upload["id"], str(staged.uuid)))
    shown = browser.get(page).content.decode()
    assert "form.zip" in shown and "api.zip" in shown
    assert Image.objects.filter(image_set=image_set).count() == 6
    for done in (upload["id"], str(staged.uuid)):
        assert not (staging["staging"] / done).exists()


def test_two_requests_never_write_one_upload_at_once(local, image_set, people, tmp_path):
    archive = zip_of(real_jpegs(2), tmp_path / "two.zip")
    session = session_of(people["owner"])
    upload = start(session, local, image_set, archive).json()
    staged = Path(Upload.objects.get(uuid=upload["id"]).staging)
    chunk = {"Content-Type": CHUNK_TYPE, "Upload-Offset": "0"}
    with staged.open("r+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a request writing a chunk holds it
        busy = session.patch(upload["url"], data=b"x", headers=chunk)
    assert busy.status_code == 409 and "another request is writing" in busy.text
    assert session.patch(upload["url"], data=b"x", headers=chunk).status_code == 204


def test_the_upload_page_lists_unfinished_uploads_and_cancels_them(
    local, image_set, people, tmp_path, staging
):
    """An upload left half-sent (a closed tab) is listed with what the server holds,
    to resume by choosing the file again or to cancel, and only to its owner."""
    archive = zip_of(real_jpegs(2), tmp_path / "left.zip")
    session = session_of(people["owner"])
    upload = start(session, local, image_set, archive).json()
    session.patch(
        upload["url"],
        data=archive.read_bytes()[:1000],
        headers={"Content-Type": CHUNK_TYPE, "Upload-Offset": "0"},
    )
    browser = Client()
    browser.force_login(people["owner"])
    page = reverse("curation:upload", args=[image_set.uuid])
    shown = browser.get(page).content.decode()
    assert 'id="unfinished-uploads"' in shown and f'data-upload="{upload["id"]}"' in shown
    assert 'value="1000"' in shown  # the progress bar shows the bytes held

    cancelled = browser.post(page, {"cancel": upload["id"]}, follow=True)
    assert "The upload of left.zip is cancelled." in cancelled.content.decode()
    assert Upload.objects.get(uuid=upload["id"]).state == "cancelled"
    assert not (staging["staging"] / upload["id"]).exists()
    assert 'id="unfinished-uploads"' not in cancelled.content.decode()
    again = browser.post(page, {"cancel": upload["id"]}, follow=True)
    assert "That upload is no longer open." in again.content.decode()

    other = Client()
    other.force_login(people["other"])
    unknown = other.post(page, {"cancel": str(uuid.uuid4())})
    assert unknown.status_code == 404  # not a set the other user may upload to
