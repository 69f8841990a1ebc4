"""Who reviews a set: its owner, curators and staff name reviewers on a page beside
the curators' page; a reviewer may then review the set's annotations (and sees the
draft), but neither edits the set nor manages reviewers."""

from __future__ import annotations

import pytest

from catalogue import access, services
from catalogue.access import SYSTEM, Action

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(people):
    return services.create_image_set(
        title="Plankton <draft>",
        owner=people["owner"],
        curators=[people["curator"]],
        actor=SYSTEM,
    )


def test_a_curator_names_reviewers_who_may_then_review(client, draft, people):
    client.force_login(people["curator"])
    url = f"/curate/sets/{draft.uuid}/reviewers"
    page = client.get(url).content.decode()
    assert "No reviewers besides the owner and curators." in page
    assert "Plankton <draft>" not in page  # escaped
    assert client.post(url, {"usernames": "reviewer, other"}).status_code == 302
    assert {u.username for u in draft.reviewers.all()} == {"reviewer", "other"}
    reviewer = people["reviewer"]
    assert access.permitted(reviewer, Action.REVIEW, draft)
    assert access.allowed(reviewer, Action.VIEW, draft)
    assert not access.allowed(reviewer, Action.EDIT, draft)
    client.post(url, {"usernames": "other"})
    assert not access.allowed(reviewer, Action.VIEW, draft)


def test_unknown_users_are_refused_by_name(client, draft, people):
    client.force_login(people["owner"])
    url = f"/curate/sets/{draft.uuid}/reviewers"
    html = client.post(url, {"usernames": "reviewer\nghost"}).content.decode()
    assert "No such user: ghost." in html and 'aria-invalid="true"' in html
    assert not draft.reviewers.exists()


def test_reviewers_do_not_manage_reviewers(client, draft, people):
    services.set_reviewers(draft, [people["reviewer"]], actor=SYSTEM)
    url = f"/curate/sets/{draft.uuid}/reviewers"
    client.force_login(people["reviewer"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"usernames": ""}).status_code == 403
    client.force_login(people["other"])
    assert client.get(url).status_code == 404  # a draft: hidden
    assert draft.reviewers.count() == 1
    with pytest.raises(access.NotAllowed):
        services.set_reviewers(draft, [], actor=people["reviewer"])
    client.force_login(people["curator"])
    assert f"/curate/sets/{draft.uuid}/reviewers" in client.get("/curate/").content.decode()
