"""Publishing to a real InvenioRDM (v14, on loopback; `scripts/services up`): the
record, its files, its DOI and concept DOI, new versions, refusals and resuming.
No mocks: every call goes over HTTP to the server."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from django.core.exceptions import ValidationError

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.formats.common import landing_url
from catalogue.models import ImageSet
from curation.packaging import METADATA_FILES
from curation.repositories import TransientTargetError, target_for
from curation.repositories.answers import retry_after
from curation.repositories.invenio import InvenioTarget
from curation.services.deposits import publish, run_deposit
from tests.catalogue.conftest import real_jpegs
from tests.curation.conftest import expect_waiting, ready_set

pytestmark = [pytest.mark.django_db, pytest.mark.services("inveniordm")]


def rdm_target(settings):
    """Configures the target "rdm" on the local InvenioRDM; call it with options."""

    def configure(**options):
        settings.PUBLISH_TARGETS = {
            "rdm": {
                "kind": "invenio",
                "url": os.environ["INVENIORDM_URL"],
                "token": os.environ["INVENIORDM_TOKEN"],
                **options,
            }
        }
        return settings.PUBLISH_TARGETS

    configure()
    return configure


@pytest.fixture
def rdm(settings):
    """The target "rdm" on the local InvenioRDM; call it with options to change them."""
    return rdm_target(settings)


def api(path: str, method: str = "GET", body: dict | None = None, **params) -> dict:
    """A call to the local InvenioRDM as the depositor; its JSON answer."""
    response = requests.request(
        method,
        os.environ["INVENIORDM_URL"].rstrip("/") + "/api" + path,
        params=params,
        json=body,
        headers={"Authorization": f"Bearer {os.environ['INVENIORDM_TOKEN']}"},
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text[:500]
    return response.json()


def content(record_id: str, key: str) -> bytes:
    url = f"{os.environ['INVENIORDM_URL'].rstrip('/')}/api/records/{record_id}/files/{key}/content"
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    return response.content


def user_records() -> int:
    time.sleep(1)  # let the search index catch up
    return api("/user/records", size=1)["hits"]["total"]


def datacite_calls() -> list[dict]:
    with open(os.environ["INVENIORDM_DATACITE_CALLS"]) as calls:
        return [json.loads(line) for line in calls if line.strip()]


def published(people, image_set: ImageSet):
    deposit = run_deposit(publish(image_set, actor=people["owner"], target="rdm").pk)
    image_set.refresh_from_db()
    return deposit, image_set


def test_a_set_is_published_with_a_doi_and_its_files(people, rdm):
    image_set = ready_set(
        people,
        images=3,
        keywords=["phytoplankton", "FlowCam"],
        description="FlowCam images of phytoplankton.",
        west=2.5,
        south=51.1,
        east=3.2,
        north=51.6,
        time_start=datetime(2021, 4, 1, 8, tzinfo=UTC),
        time_end=datetime(2021, 4, 3, 17, tzinfo=UTC),
        related_identifiers=[
            {
                "identifier": "10.14284/123",
                "identifier_type": "DOI",
                "relation_type": "IsSupplementTo",
            },
            {"identifier": "x", "identifier_type": "Unknown", "relation_type": "Cites"},
        ],
    )
    deposit, image_set = published(people, image_set)

    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert image_set.state == "published"
    assert image_set.doi.startswith("10.5072/") and image_set.concept_doi.startswith("10.5072/")
    assert image_set.doi != image_set.concept_doi
    assert deposit.doi == image_set.doi and deposit.remote_id
    assert [step["step"] for step in deposit.steps] == [
        "draft created",
        "files uploaded",
        "publish requested",
        "published",
    ]
    assert deposit.files_done == deposit.files_total == 1 + len(METADATA_FILES)

    record = api(f"/records/{deposit.remote_id}")
    assert record["is_published"] and record["pids"]["doi"]["identifier"] == image_set.doi
    metadata = record["metadata"]
    assert metadata["title"] == image_set.title
    person = metadata["creators"][0]["person_or_org"]
    assert (person["family_name"], person["given_name"]) == ("Mortelmans", "Jonas")
    assert person["identifiers"] == [{"scheme": "orcid", "identifier": "0000-0002-1825-0097"}]
    assert metadata["rights"][0]["id"] == "cc-by-4.0"
    assert {subject["subject"] for subject in metadata["subjects"]} == {"phytoplankton", "FlowCam"}
    assert metadata["identifiers"] == [
        {"scheme": "urn", "identifier": f"urn:uuid:{image_set.uuid}"}
    ]
    assert metadata["dates"][0]["date"] == "2021-04-01/2021-04-03"
    assert metadata["locations"]["features"][0]["geometry"]["type"] == "Polygon"
    related = {(r["identifier"], r["relation_type"]["id"]) for r in metadata["related_identifiers"]}
    assert related == {
        (landing_url(image_set), "isidenticalto"),
        ("10.14284/123", "issupplementto"),
    }

    files = {entry["key"]: entry for entry in api(f"/records/{deposit.remote_id}/files")["entries"]}
    assert set(files) == {"images-001.zip", *METADATA_FILES}
    images = {image.sha256: image for image in image_set.images.all()}
    for key, entry in files.items():
        data = content(deposit.remote_id, key)
        assert entry["checksum"] == "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()
    with zipfile.ZipFile(io.BytesIO(content(deposit.remote_id, "images-001.zip"))) as archive:
        inside = {hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}
    assert inside == set(images)
    manifest = json.loads(content(deposit.remote_id, "manifest.json"))
    assert {entry["sha256"] for entry in manifest["images"]} == set(images)

    assert image_set.doi in {call["doi"] for call in datacite_calls()}


def test_small_packages_and_a_new_version_under_the_same_concept(people, rdm):
    rdm(max_files=2)
    first, first_set = published(people, ready_set(people, images=3))
    assert first.state == "published", (first.error, first.errors)
    keys = {entry["key"] for entry in api(f"/records/{first.remote_id}/files")["entries"]}
    assert keys == {"images-001.zip", "images-002.zip", *METADATA_FILES}

    draft = services.new_version(first_set, actor=people["owner"])
    services.ingest(draft, real_jpegs(4)[3:], actor=SYSTEM)
    second, second_set = published(people, draft)
    assert second.state == "published", (second.error, second.errors)
    assert second_set.doi.startswith("10.5072/") and second_set.doi != first_set.doi
    assert second_set.concept_doi == first_set.concept_doi
    record = api(f"/records/{second.remote_id}")
    assert record["versions"]["index"] == 2
    assert record["parent"]["id"] == api(f"/records/{first.remote_id}")["parent"]["id"]
    assert record["metadata"]["version"] == second_set.version
    keys = {entry["key"] for entry in api(f"/records/{second.remote_id}/files")["entries"]}
    assert keys == {"images-001.zip", "images-002.zip", *METADATA_FILES}
    assert second_set.doi in {call["doi"] for call in datacite_calls()}


def test_an_unknown_licence_fails_the_deposit_with_the_remote_message(people, rdm):
    image_set = ready_set(people, images=1)
    ImageSet.objects.filter(pk=image_set.pk).update(licence="NOT-A-LICENCE-1.0")
    deposit, image_set = published(people, image_set)
    assert deposit.state == "failed"
    assert deposit.errors == {"metadata.rights": ["Invalid value not-a-licence-1.0."]}
    assert image_set.state == "draft" and not image_set.doi


def test_a_remote_refusal_gives_its_field_messages(people, rdm):
    image_set = ready_set(people, images=1, description="ab")
    before = user_records()
    deposit, image_set = published(people, image_set)
    assert deposit.state == "failed" and "refused" in deposit.error
    assert deposit.errors == {"metadata.description": ["Shorter than minimum length 3."]}
    assert image_set.state == "draft"
    assert user_records() == before  # the refused draft was not kept


def test_a_restricted_set_is_refused_before_anything_is_sent(people, rdm):
    before = user_records()
    image_set = ready_set(people, images=1, access="restricted")
    with pytest.raises(ValidationError) as refused:
        publish(image_set, actor=people["owner"], target="rdm")
    assert "access" in refused.value.message_dict
    image_set.refresh_from_db()
    assert image_set.state == "draft" and not image_set.deposits.exists()
    assert user_records() == before


def test_a_set_with_files_under_embargo_gets_a_public_record_with_restricted_files(people, rdm):
    until = date.today() + timedelta(days=200)
    image_set = ready_set(people, images=1, access="files_embargoed", embargo_until=until)
    deposit, image_set = published(people, image_set)
    assert deposit.state == "published" and image_set.doi
    record = api(f"/records/{deposit.remote_id}")
    assert record["access"]["record"] == "public"
    assert record["access"]["files"] == "restricted"
    assert record["access"]["embargo"]["until"] == until.isoformat()
    anonymous = requests.get(
        f"{os.environ['INVENIORDM_URL'].rstrip('/')}/api/records/{deposit.remote_id}/files",
        timeout=30,
    )
    assert anonymous.status_code == 403  # the repository withholds the files too


def test_a_resumed_deposit_makes_one_record(people, rdm, monkeypatch):
    image_set = ready_set(people, images=2)
    before = user_records()
    deposit = publish(image_set, actor=people["owner"], target="rdm")

    def down(self, *args):
        raise TransientTargetError("503 Service Unavailable", retry_after=1)

    with monkeypatch.context() as patch:
        patch.setattr(InvenioTarget, "upload_files", down)
        with pytest.raises(TransientTargetError):
            run_deposit(deposit.pk)
    deposit.refresh_from_db()
    assert deposit.state == "waiting" and deposit.step_done("draft created")
    assert run_deposit(deposit.pk).state == "published"
    assert user_records() == before + 1


def test_a_create_that_timed_out_finds_its_own_draft(people, rdm, monkeypatch):
    """The server made the draft but its answer was lost: the retry finds it."""
    image_set = ready_set(people, images=1)
    before = user_records()
    real_request = InvenioTarget.request
    lost = []

    def answer_lost(self, method, path, **kwargs):
        response = real_request(self, method, path, **kwargs)
        if method == "POST" and path == "/records" and not lost:
            lost.append(response.json()["id"])
            raise requests.ReadTimeout("read timed out")
        return response

    monkeypatch.setattr(InvenioTarget, "request", answer_lost)
    deposit = run_deposit(publish(image_set, actor=people["owner"], target="rdm").pk)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert deposit.remote_id == lost[0]
    assert user_records() == before + 1


def test_the_target_is_configured_by_settings(rdm):
    target = target_for("rdm")
    assert isinstance(target, InvenioTarget) and target.mints_doi
    assert target.max_files == 100 and target.timeout == 30
    assert (target.max_files_per_record, target.max_bytes_per_record) == (100, 50 * 1000**3)
    assert target.namespaces == [] and target.community == ""


def test_a_bad_token_fails_the_deposit(people, rdm):
    rdm(token="not-a-token")
    deposit, image_set = published(people, ready_set(people, images=1))
    assert deposit.state == "failed" and "403" in deposit.error
    assert "target" in deposit.errors and image_set.state == "draft"


def test_a_repository_that_is_down_leaves_the_deposit_waiting(people, rdm, closed_port):
    rdm(url=f"http://127.0.0.1:{closed_port}")
    deposit = publish(ready_set(people, images=1), actor=people["owner"], target="rdm")
    expect_waiting(deposit, "draft created")


def test_retry_after_reads_the_headers():
    response = requests.Response()
    response.headers["Retry-After"] = "7"
    assert retry_after(response) == 7
    response = requests.Response()
    response.headers["X-RateLimit-Reset"] = str(time.time() + 30)
    assert 28 <= (retry_after(response) or 0) <= 30


def test_a_draft_made_before_a_crash_is_taken_again(people, rdm):
    """A worker died after its create, before recording it: no second record."""
    image_set = ready_set(people, images=1)
    before = user_records()
    deposit = publish(image_set, actor=people["owner"], target="rdm")
    target = target_for("rdm")
    assert isinstance(target, InvenioTarget)
    made = target.create_draft(image_set)  # the step, not recorded
    files = f"/records/{made['id']}/draft/files"
    target.request("POST", files, json=[{"key": "stale.zip"}])  # an earlier try's file
    target.request("PUT", f"{files}/stale.zip/content", data=b"old bytes")
    target.request("POST", f"{files}/stale.zip/commit")
    assert user_records() == before + 1
    deposit = run_deposit(deposit.pk)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert deposit.remote_id == made["id"] and user_records() == before + 1
    keys = {entry["key"] for entry in api(f"/records/{made['id']}/files")["entries"]}
    assert keys == {"images-001.zip", *METADATA_FILES}


def test_a_publish_whose_step_was_not_recorded_is_not_repeated(people, rdm, monkeypatch):
    image_set = ready_set(people, images=1)
    deposit = publish(image_set, actor=people["owner"], target="rdm")
    real_publish = InvenioTarget.publish

    def publish_then_crash(self, record_id):
        real_publish(self, record_id)
        raise TransientTargetError("worker lost")

    with monkeypatch.context() as patch:
        patch.setattr(InvenioTarget, "publish", publish_then_crash)
        with pytest.raises(TransientTargetError):
            run_deposit(deposit.pk)
    deposit = run_deposit(deposit.pk)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    image_set.refresh_from_db()
    assert image_set.doi == api(f"/records/{deposit.remote_id}")["pids"]["doi"]["identifier"]
