"""Who curates a set: the owner and staff change it; curators see it; others get nothing."""

from __future__ import annotations

import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.selectors import can_edit_image_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(people):
    return services.create_image_set(title="Plankton <draft>", owner=people["owner"], actor=SYSTEM)


def login(client, user):
    client.force_login(user)
    return client


def test_the_owner_adds_and_removes_curators(client, draft, people):
    login(client, people["owner"])
    url = f"/curate/sets/{draft.uuid}/curators"
    page = client.get(url)
    assert page.status_code == 200 and "No curators besides the owner." in page.content.decode()
    assert "Plankton <draft>" not in page.content.decode()  # escaped

    saved = client.post(url, {"usernames": "curator, staff"})
    assert saved.status_code == 302
    assert {u.username for u in draft.curators.all()} == {"curator", "staff"}
    assert can_edit_image_set(people["curator"], draft)

    client.post(url, {"usernames": "staff"})
    assert {u.username for u in draft.curators.all()} == {"staff"}
    assert not can_edit_image_set(people["curator"], draft)


def test_unknown_users_and_the_owner_are_refused_by_name(client, draft, people):
    login(client, people["owner"])
    url = f"/curate/sets/{draft.uuid}/curators"
    page = client.post(url, {"usernames": "curator\nnobody, ghost"})
    html = page.content.decode()
    assert page.status_code == 200 and "No such user: ghost, nobody." in html
    assert 'aria-invalid="true"' in html
    assert "owns the set already" in client.post(url, {"usernames": "owner"}).content.decode()
    assert not draft.curators.exists()


def test_curators_see_the_list_but_only_owner_and_staff_change_it(client, draft, people):
    services.set_curators(draft, [people["curator"]], actor=SYSTEM)
    url = f"/curate/sets/{draft.uuid}/curators"
    login(client, people["curator"])
    page = client.get(url).content.decode()
    assert "curator" in page and "Only the owner and staff change the curators." in page
    assert client.post(url, {"usernames": ""}).status_code == 403
    assert draft.curators.count() == 1
    assert login(client, people["other"]).get(url).status_code == 404  # a draft: hidden
    login(client, people["staff"])
    assert client.post(url, {"usernames": ""}).status_code == 302
    assert not draft.curators.exists()
