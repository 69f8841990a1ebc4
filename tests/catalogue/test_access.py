"""The access policy as one table (role x state x action), asserted through the
services themselves, so no page or API view can bypass it; and the policy's
filter forms (ORM, database index, engine) agree with its object check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from catalogue import access, selectors, services
from catalogue.access import SYSTEM, Action
from catalogue.errors import NotAllowed, NotVisible, WrongState
from catalogue.models import ImageSet
from catalogue.search.backends.database import DatabaseBackend
from catalogue.search.documents import documents
from catalogue.search.query import SearchQuery

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "other", "curator", "owner", "staff", "system")
FUTURE = dt.date(2999, 1, 1)
PAST = dt.date(2000, 1, 1)
STATES = {
    "draft": {"state": "draft", "access": "open"},
    "publishing": {"state": "publishing", "access": "open"},
    "open": {"state": "published", "access": "open"},
    "restricted": {"state": "published", "access": "restricted"},
    "embargoed": {"state": "published", "access": "embargoed", "embargo_until": FUTURE},
    "embargo-over": {"state": "published", "access": "embargoed", "embargo_until": PAST},
    # Zenodo's embargo: the metadata is public, the files are withheld until the date.
    "files-embargoed": {"state": "published", "access": "files_embargoed", "embargo_until": FUTURE},
    "files-embargo-over": {
        "state": "published",
        "access": "files_embargoed",
        "embargo_until": PAST,
    },
    "files-embargoed-draft": {
        "state": "draft",
        "access": "files_embargoed",
        "embargo_until": FUTURE,
    },
}
# Who may see a set in each state (everybody else gets 404 for every action).
SEES = {
    "draft": {"curator", "owner", "staff", "system"},
    "publishing": {"curator", "owner", "staff", "system"},
    "open": set(ROLES),
    "restricted": {"curator", "owner", "staff", "system"},
    "embargoed": {"curator", "owner", "staff", "system"},
    "embargo-over": set(ROLES),
    "files-embargoed": set(ROLES),
    "files-embargo-over": set(ROLES),
    "files-embargoed-draft": {"curator", "owner", "staff", "system"},
}
# Who may read a set's files (originals, thumbnails, image rows and documents): those
# who see it, but for a set whose files are under embargo only those with a role.
READS_FILES = {**SEES, "files-embargoed": {"curator", "owner", "staff", "system"}}
EDITORS = {"curator", "owner", "staff", "system"}
# Per action: the roles it is allowed to, and the states that refuse it to everybody
# (a set being published or published is frozen; only a published set has a next version).
FROZEN = {"publishing", "published"}
ACTIONS = {
    "edit": (EDITORS, FROZEN),
    "ingest": (EDITORS, FROZEN),
    "delete": (EDITORS, FROZEN),
    "publish": (EDITORS, FROZEN),
    "new_version": (EDITORS, {"draft", "publishing"}),
    "change_access": (EDITORS, set()),
    "manage_curators": ({"owner", "staff", "system"}, set()),
}


def expected(role: str, state: str, action: str) -> str:
    if role not in SEES[state]:
        return "404"
    roles, refusing = ACTIONS[action]
    if role not in roles:
        return "403"
    if STATES[state]["state"] in refusing:
        return "409"
    return "ok"


@pytest.fixture
def people(django_user_model):
    make = django_user_model.objects.create_user
    return {
        "anonymous": AnonymousUser(),
        "other": make("other"),
        "curator": make("curator"),
        "owner": make("owner"),
        "staff": make("staff", is_staff=True),
        "system": SYSTEM,
    }


def make_set(people, state: str) -> ImageSet:
    return services.create_image_set(
        title=f"A {state} set",
        owner=people["owner"],
        curators=[people["curator"]],
        actor=SYSTEM,
        **STATES[state],
    )


def act(action: str, image_set: ImageSet, actor) -> None:
    if action == "edit":
        services.update_image_set(image_set, title="Changed", actor=actor)
    elif action == "ingest":
        services.ingest(image_set, [[]], actor=actor)
    elif action == "delete":
        services.delete_image_set(image_set, actor=actor)
    elif action == "publish":
        services.publish_image_set(image_set, actor=actor)
    elif action == "new_version":
        services.new_version(image_set, actor=actor)
    elif action == "change_access":
        services.update_image_set(image_set, access="restricted", actor=actor)
    elif action == "manage_curators":
        services.set_curators(image_set, [], actor=actor)


OUTCOMES = {NotVisible: "404", NotAllowed: "403", WrongState: "409"}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("role", ROLES)
def test_the_policy_table_through_the_services(people, role, state, action):
    image_set = make_set(people, state)
    before = ImageSet.objects.filter(pk=image_set.pk).values().get()
    try:
        act(action, image_set, people[role])
        outcome = "ok"
    except (NotVisible, NotAllowed, WrongState) as refusal:
        outcome = next(code for kind, code in OUTCOMES.items() if isinstance(refusal, kind))
    assert outcome == expected(role, state, action)
    if outcome != "ok":
        # A refusal changes nothing.
        assert ImageSet.objects.filter(pk=image_set.pk).values().get() == before


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("role", ROLES)
def test_every_form_of_the_visibility_rule_agrees(people, role, state, settings):
    """The object check, the ORM filter and the database index's filter give the
    same answer (the engine's filter is held to the same documents by the shared
    backend suite in tests/search)."""
    settings.SEARCH_URL = ""
    image_set = make_set(people, state)
    actor = people[role]
    sees = role in SEES[state]
    assert access.allowed(actor, Action.VIEW, image_set) == sees
    assert selectors.visible_image_sets(actor).filter(pk=image_set.pk).exists() == sees
    backend = DatabaseBackend()
    backend.setup()
    assert backend.index("set", list(documents("set", [image_set.pk]))) == []
    result = backend.search(SearchQuery(kind="set").validate(), access.visibility_of(actor))
    assert (image_set.pk in [hit.id for hit in result.hits]) == sees


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("role", ROLES)
def test_every_form_of_the_files_rule_agrees(people, role, state, settings):
    """Reading files: the object check, the images' ORM filter and the database index's
    filter on image documents give the same answer."""
    settings.SEARCH_URL = ""
    image_set = make_set(people, state)
    image = image_set.images.create(
        file_name="a.jpg",
        sha256="0" * 64,
        size=1,
        media_type="image/jpeg",
        storage_key="k",
        width=1,
        height=1,
    )
    actor = people[role]
    reads = role in READS_FILES[state]
    assert access.allowed(actor, Action.READ_FILES, image_set) == reads
    assert selectors.visible_images(actor).filter(pk=image.pk).exists() == reads
    backend = DatabaseBackend()
    backend.setup()
    assert backend.index("image", list(documents("image", [image.pk]))) == []
    result = backend.search(SearchQuery(kind="image").validate(), access.visibility_of(actor))
    assert (image.pk in [hit.id for hit in result.hits]) == reads


def test_a_new_role_is_one_rule(people):
    """Roles are rules listed per action: nothing outside the policy decides."""
    assert set(access.POLICY) == set(Action)
    for rules in access.POLICY.values():
        assert all(isinstance(rule, access.Rule) for rule in rules)


def test_users_create_drafts_only_and_own_them(people):
    owner = people["owner"]
    draft = services.create_image_set(title="Mine", actor=owner)
    assert draft.owner == owner and draft.state == "draft"
    with pytest.raises(NotAllowed):
        services.create_image_set(title="Nobody's", actor=people["anonymous"])
    with pytest.raises(NotAllowed):
        services.create_image_set(title="Theirs", owner=people["other"], actor=owner)
    with pytest.raises(Exception, match="state"):
        services.create_image_set(title="Published at once", state="published", actor=owner)
