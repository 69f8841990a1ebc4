"""Publishing to DataCite with an institution's own prefix, against a fake DataCite
REST API on loopback (tests/curation/datacite_fake.py): every call goes over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalogue import services
from catalogue.formats.common import landing_url
from catalogue.formats.datacite import json_errors
from catalogue.models import ImageSet
from curation.repositories import TargetError, TransientTargetError, target_for
from curation.repositories.datacite import DataCiteTarget, short_uuid
from curation.services.deposits import publish, run_deposit
from tests.curation.conftest import expect_waiting, ready_set
from tests.curation.datacite_fake import FakeDataCite

pytestmark = pytest.mark.django_db

PREFIX = "10.5072"


@pytest.fixture
def fake():
    server = FakeDataCite().start()
    yield server
    server.stop()


@pytest.fixture
def dc(settings, fake):
    """The target "dc" on the fake; call it with options to change them."""

    def configure(**options):
        settings.PUBLISH_TARGETS = {
            "dc": {
                "kind": "datacite",
                "url": fake.url,
                "repository_id": fake.repository_id,
                "password": fake.password,
                "prefix": PREFIX,
                "timeout": 5,
                **options,
            }
        }
        return settings.PUBLISH_TARGETS

    configure()
    return configure


def published(people, image_set: ImageSet):
    deposit = run_deposit(publish(image_set, actor=people["owner"], target="dc").pk)
    image_set.refresh_from_db()
    return deposit, image_set


def posts(fake) -> list[dict]:
    return [call for call in fake.calls if call["method"] == "POST"]


def test_a_set_is_published_with_our_doi(people, dc, fake):
    deposit, image_set = published(people, ready_set(people, images=1))
    assert deposit.state == "published", (deposit.error, deposit.errors)
    doi = f"{PREFIX}/aquacat.{short_uuid(image_set.uuid)}"
    assert image_set.state == "published" and image_set.doi == doi
    assert image_set.concept_doi == "" and deposit.doi == doi
    assert [step["step"] for step in deposit.steps] == ["draft doi", "findable", "published"]

    assert list(fake.dois) == [doi] and fake.state(doi) == "findable"
    attributes = fake.dois[doi]["attributes"]
    assert attributes["url"] == landing_url(image_set)
    assert attributes["titles"] == [{"title": image_set.title}]
    assert attributes["types"]["resourceTypeGeneral"] == "Dataset"
    assert json_errors({**attributes, "doi": doi}) == []
    assert attributes["alternateIdentifiers"][1]["alternateIdentifier"] == str(image_set.uuid)
    create = posts(fake)[0]["body"]["data"]
    assert create["type"] == "dois" and "event" not in create["attributes"]


def test_a_new_version_relates_both_dois(people, dc, fake):
    _, first = published(people, ready_set(people, images=1))
    draft = services.new_version(first, actor=people["owner"])
    deposit, second = published(people, draft)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert second.doi != first.doi and fake.state(second.doi) == "findable"
    assert deposit.step_done("previous version updated")

    def relations(doi: str) -> set[tuple[str, str]]:
        related = fake.dois[doi]["attributes"].get("relatedIdentifiers", [])
        return {(r["relationType"], r["relatedIdentifier"]) for r in related}

    assert ("IsNewVersionOf", first.doi) in relations(second.doi)
    assert ("IsPreviousVersionOf", second.doi) in relations(first.doi)
    assert fake.state(first.doi) == "findable"


def test_a_previous_doi_it_cannot_update_leaves_the_new_version_published(people, dc, fake):
    _, first = published(people, ready_set(people, images=1))
    del fake.dois[first.doi]  # registered by another repository of the prefix
    deposit, second = published(people, services.new_version(first, actor=people["owner"]))
    assert deposit.state == "published" and fake.state(second.doi) == "findable"
    step = next(s for s in deposit.steps if s["step"] == "previous version updated")
    assert step["detail"].startswith(f"{first.doi} not updated")


def test_a_refusal_on_publish_fails_the_deposit_with_its_messages(people, dc, fake):
    fake.refuse_publish = {"publisher": "Publisher is not valid"}
    deposit, image_set = published(people, ready_set(people, images=1))
    assert deposit.state == "failed" and "422" in deposit.error
    assert deposit.errors == {"publisher": ["Publisher is not valid"]}
    assert image_set.state == "draft" and not image_set.doi


def test_a_doi_without_url_is_not_made_findable(people, dc, fake):
    target = target_for("dc")
    assert isinstance(target, DataCiteTarget)
    image_set = ready_set(people, images=1)
    doi = target.doi_for(image_set)
    attributes = target.attributes(image_set, doi)
    del attributes["url"]
    target.create_draft(doi, attributes)
    with pytest.raises(TargetError, match="Can't be blank") as refused:
        target.request("PUT", doi, target.body(doi, {**attributes, "event": "publish"}))
    assert refused.value.errors == {"url": ["Can't be blank"]}
    assert fake.state(doi) == "draft"


def test_a_wrong_password_fails_the_deposit(people, dc, fake):
    dc(password="not-the-password")
    deposit, image_set = published(people, ready_set(people, images=1))
    assert deposit.state == "failed" and "401" in deposit.error
    assert "target" in deposit.errors and image_set.state == "draft"
    assert fake.dois == {}


def test_a_rate_limit_leaves_the_deposit_waiting_then_it_is_published(people, dc, fake):
    fake.fail_next(429, retry_after="7")
    deposit = publish(ready_set(people, images=1), actor=people["owner"], target="dc")
    with pytest.raises(TransientTargetError) as waiting:
        run_deposit(deposit.pk)
    assert waiting.value.retry_after == 7
    deposit.refresh_from_db()
    assert deposit.state == "waiting"
    assert run_deposit(deposit.pk).state == "published"
    assert len(fake.dois) == 1 and len(posts(fake)) == 1


def test_an_outage_leaves_the_deposit_waiting(people, dc, fake):
    fake.fail_next(503, times=1)
    deposit = publish(ready_set(people, images=1), actor=people["owner"], target="dc")
    expect_waiting(deposit, "draft doi")
    assert run_deposit(deposit.pk).state == "published"


def test_a_lost_answer_to_the_create_makes_no_second_doi(people, dc, fake):
    fake.drop_next_create = True
    deposit, image_set = published(people, ready_set(people, images=1))
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert list(fake.dois) == [image_set.doi] and fake.state(image_set.doi) == "findable"
    assert len(posts(fake)) == 1 and not fake.drop_next_create  # the answer was dropped


def test_a_draft_doi_made_before_a_crash_is_taken_again(people, dc, fake):
    image_set = ready_set(people, images=1)
    deposit = publish(image_set, actor=people["owner"], target="dc")
    target = target_for("dc")
    assert isinstance(target, DataCiteTarget)
    doi = target.doi_for(image_set)
    target.request("POST", body=target.body(doi, target.attributes(image_set, doi)))
    deposit = run_deposit(deposit.pk)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert list(fake.dois) == [doi] and len(posts(fake)) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"access": "restricted"},
        {"access": "embargoed", "embargo_until": timezone.localdate() + timedelta(days=30)},
    ],
)
def test_a_set_whose_metadata_is_not_public_is_refused_before_anything_is_sent(
    people, dc, fake, fields
):
    image_set = ready_set(people, images=1, **fields)
    with pytest.raises(ValidationError) as refused:
        publish(image_set, actor=people["owner"], target="dc")
    assert "access" in refused.value.message_dict
    image_set.refresh_from_db()
    assert image_set.state == "draft" and not image_set.deposits.exists()
    assert fake.calls == []


def test_the_target_is_configured_by_settings(dc):
    target = target_for("dc")
    assert isinstance(target, DataCiteTarget) and target.mints_doi
    assert target.prefix == PREFIX and target.timeout == 5
    assert DataCiteTarget("x", prefix="10.1").url == "https://api.datacite.org"
