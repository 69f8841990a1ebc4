"""Publishing into a community of a real InvenioRDM (v14, on loopback): submitted
for review rather than published directly; accepted at once where the
depositor curates the community, else awaited and resumed once accepted."""

from __future__ import annotations

import uuid

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from curation.repositories import TransientTargetError
from curation.repositories.invenio_review import AwaitingReview
from curation.services.deposits import publish, run_deposit
from tests.catalogue.conftest import real_jpegs
from tests.curation.conftest import ready_set
from tests.curation.test_invenio_target import api, published, rdm_target, user_records

pytestmark = [pytest.mark.django_db, pytest.mark.services("inveniordm")]


@pytest.fixture
def rdm(settings):
    return rdm_target(settings)


def community(review_policy: str) -> dict:
    """A new community owned by the depositor (the token's user)."""
    slug = f"aquacat-{review_policy}-{uuid.uuid4().hex[:8]}"
    return api(
        "/communities",
        "POST",
        {
            "slug": slug,
            "access": {"visibility": "public", "review_policy": review_policy},
            "metadata": {"title": f"Plankton imaging ({review_policy} review)"},
        },
    )


def test_a_community_its_depositor_curates_publishes_at_once(people, rdm):
    plankton = community("open")
    rdm(community=plankton["slug"])
    deposit, image_set = published(people, ready_set(people, images=1))
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert [step["step"] for step in deposit.steps] == [
        "draft created",
        "files uploaded",
        "review submitted",
        "review accepted",
        "published",
    ]
    assert deposit.steps[2]["detail"] == f"to the community {plankton['slug']!r}: accepted"
    record = api(f"/records/{deposit.remote_id}")
    assert record["is_published"] and record["pids"]["doi"]["identifier"] == image_set.doi
    assert record["parent"]["communities"]["ids"] == [plankton["id"]]


def test_a_deposit_awaits_the_review_then_publishes_once_accepted(people, rdm):
    reviewed = community("closed")
    rdm(community=reviewed["id"])
    image_set = ready_set(people, images=1)
    before = user_records()
    deposit = publish(image_set, actor=people["owner"], target="rdm")
    for _ in range(2):  # asked again while awaiting: nothing submitted twice
        with pytest.raises(AwaitingReview):
            run_deposit(deposit.pk)
    deposit.refresh_from_db()
    assert deposit.state == "waiting"
    assert "awaiting the review of the community" in deposit.error
    assert reviewed["slug"] in deposit.error
    steps = [step["step"] for step in deposit.steps]
    assert steps == ["draft created", "files uploaded", "review submitted"]
    assert deposit.steps[-1]["detail"] == f"to the community {reviewed['slug']!r}: submitted"
    image_set.refresh_from_db()
    assert image_set.state == "publishing" and not image_set.doi
    assert api(f"/records/{deposit.remote_id}/draft")["status"] == "in_review"

    request = api(f"/records/{deposit.remote_id}/draft/review")
    assert request["status"] == "submitted"
    api(f"/requests/{request['id']}/actions/accept", "POST", {})  # the community's curator

    deposit = run_deposit(deposit.pk)
    assert deposit.state == "published", (deposit.error, deposit.errors)
    assert deposit.steps[-2]["step"] == "review accepted"
    image_set.refresh_from_db()
    record = api(f"/records/{deposit.remote_id}")
    assert image_set.doi == record["pids"]["doi"]["identifier"]
    assert record["parent"]["communities"]["ids"] == [reviewed["id"]]
    assert user_records() == before + 1


def test_a_declined_submission_fails_the_deposit(people, rdm):
    reviewed = community("closed")
    rdm(community=reviewed["slug"])
    image_set = ready_set(people, images=1)
    deposit = publish(image_set, actor=people["owner"], target="rdm")
    with pytest.raises(TransientTargetError):
        run_deposit(deposit.pk)
    deposit.refresh_from_db()
    request = api(f"/records/{deposit.remote_id}/draft/review")
    api(f"/requests/{request['id']}/actions/decline", "POST", {})
    deposit = run_deposit(deposit.pk)
    assert deposit.state == "failed" and "declined" in deposit.error
    assert list(deposit.errors) == ["community"]
    image_set.refresh_from_db()
    assert image_set.state == "draft"


def test_an_unknown_community_fails_the_deposit(people, rdm):
    rdm(community="no-such-community-here")
    deposit, image_set = published(people, ready_set(people, images=1))
    assert deposit.state == "failed"
    assert deposit.errors == {"community": ["no community 'no-such-community-here' on rdm"]}
    assert image_set.state == "draft"


def test_a_new_version_of_a_record_in_the_community_is_published_directly(people, rdm):
    plankton = community("open")
    rdm(community=plankton["slug"])
    first, first_set = published(people, ready_set(people, images=1))
    assert first.state == "published", (first.error, first.errors)
    draft = services.new_version(first_set, actor=people["owner"])
    services.ingest(draft, real_jpegs(2)[1:], actor=SYSTEM)
    second, second_set = published(people, draft)
    assert second.state == "published", (second.error, second.errors)
    assert [step["step"] for step in second.steps][2:] == ["publish requested", "published"]
    assert second.steps[2]["detail"] == f"already in the community {plankton['slug']!r}"
    record = api(f"/records/{second.remote_id}")
    assert record["parent"]["communities"]["ids"] == [plankton["id"]]
    assert second_set.concept_doi == first_set.concept_doi != second_set.doi
