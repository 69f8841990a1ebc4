"""Who may see and who may change an image set: each rule written once.

A rule (a *generator*, as in InvenioRDM's permission policies) answers in every
form the code needs, side by side, so the forms cannot drift apart:

- `allows(actor, image_set)`: the object check (pages, API, services);
- `orm(actor, today)`: a filter on `ImageSet` rows (lists, OAI-PMH, exports);
- `index(visibility)`: a filter on the database search index's entries;
- `engine(visibility)`: a filter clause for OpenSearch / Elasticsearch.

Seeing a set (its metadata) and reading its files are two actions: `VIEW` and
`READ_FILES`. They differ only for a set whose files are under embargo (Zenodo's
embargo): its metadata is public once published, its images, originals,
thumbnails, crops, image-level exports and packages only from `embargo_until` on
(`is_public` and `files_public`). An image (its row, its search document) counts
as a file: it is listed to those who may read the set's files.

`POLICY` lists, per action, the rules of which any one suffices; `FROZEN` lists
the actions a published set refuses to everybody. Services call `require()`,
which raises `NotVisible` (404), `NotAllowed` (403) or `Immutable` (409); the
API and the pages map those in one place each. A new role (reviewers, community
curators) is one more rule class and its place in `POLICY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.db.models import Q
from django.utils import timezone
from elasticsearch.dsl import Q as EngineQ
from elasticsearch.dsl.query import Query as EngineQuery

from catalogue.errors import Immutable, NotAllowed, NotVisible, WrongState
from catalogue.models import EMBARGOES, Access, ImageSet, State
from catalogue.search.dbindex import SearchValue


class SystemActor:
    """The portal itself acting for an operator (management commands, the demo
    loader, scheduled work, workers). It passes every role check; a published
    set stays frozen for it too."""

    is_authenticated = True
    is_staff = True
    is_superuser = True
    is_active = True
    pk = None
    id = None
    username = "system"

    def get_username(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


class Action(StrEnum):
    VIEW = "view"  # the set and its metadata
    READ_FILES = "read_files"  # its images: rows, originals, thumbnails, crops, exports
    EDIT = "edit"  # metadata, files (ingest), annotations
    DELETE = "delete"
    CHANGE_ACCESS = "change_access"  # open / embargoed (wholly or files only) / restricted
    MANAGE_CURATORS = "manage_curators"
    SEE_CURATION = "see_curation"  # the curator pages and deposits of a set, in any state
    RUN_MODELS = "run_models"  # enrichment is derived data: allowed on published sets
    PUBLISH = "publish"
    NEW_VERSION = "new_version"  # a draft of the next version of a published set
    ANNOTATE = "annotate"  # create, change and delete annotations
    REVIEW = "review"  # validate, mark dubious, reject, relabel
    MANAGE_REVIEWERS = "manage_reviewers"


@dataclass(frozen=True)
class Visibility:
    """Who is searching, as data the search backends filter on (documents carry
    state, access, embargo_until, owner_id and curator_ids: the users with a role
    on the set, curators and reviewers)."""

    everything: bool
    user_id: int | None
    today: date


def signed_in(actor) -> bool:
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def is_staff(actor) -> bool:
    return signed_in(actor) and bool(actor.is_staff)


def visibility_of(actor, today: date | None = None) -> Visibility:
    return Visibility(
        everything=is_staff(actor),
        user_id=actor.pk if signed_in(actor) and actor.pk is not None else None,
        today=today or timezone.localdate(),
    )


# --- the rules ---------------------------------------------------------------------------
# `None` from a filter form means "matches nothing" for this visibility; `Q()` means everything.


class Rule:
    def allows(self, actor, image_set: ImageSet) -> bool:
        raise NotImplementedError

    def orm(self, actor, today: date) -> Q | None:
        raise NotImplementedError

    def index(self, visibility: Visibility) -> Q | None:
        raise NotImplementedError

    def engine(self, visibility: Visibility) -> EngineQuery | None:
        raise NotImplementedError


class Staff(Rule):
    """Staff (and the system) see and may change every set."""

    def allows(self, actor, image_set: ImageSet) -> bool:
        return is_staff(actor)

    def orm(self, actor, today: date) -> Q | None:
        return Q() if is_staff(actor) else None

    def index(self, visibility: Visibility) -> Q | None:
        return Q() if visibility.everything else None

    def engine(self, visibility: Visibility) -> EngineQuery | None:
        return EngineQ("match_all") if visibility.everything else None


class PublicFiles(Rule):
    """Anybody may read the files of a published set that is open, or embargoed
    (wholly or its files only) with the embargo over. Image documents are files."""

    def allows(self, actor, image_set: ImageSet) -> bool:
        return files_public(image_set)

    def orm(self, actor, today: date) -> Q | None:
        return files_public_filter(today)

    def index(self, visibility: Visibility) -> Q:
        return Q(state=State.PUBLISHED) & (
            Q(access=Access.OPEN) | Q(access__in=EMBARGOES, embargo_until__lte=visibility.today)
        )

    def engine(self, visibility: Visibility) -> EngineQuery:
        lapsed = EngineQ(
            "bool",
            filter=[
                EngineQ("terms", access=[value.value for value in EMBARGOES]),
                EngineQ("range", embargo_until={"lte": visibility.today.isoformat()}),
            ],
        )
        return EngineQ(
            "bool",
            filter=[
                EngineQ("term", state=State.PUBLISHED.value),
                EngineQ(
                    "bool",
                    should=[EngineQ("term", access=Access.OPEN.value), lapsed],
                    minimum_should_match=1,
                ),
            ],
        )


class Public(Rule):
    """Anybody may see a published set whose files they may read, and one whose files
    only are under embargo: its metadata (its set document; its image documents are
    files, see `PublicFiles`)."""

    def allows(self, actor, image_set: ImageSet) -> bool:
        return is_public(image_set)

    def orm(self, actor, today: date) -> Q | None:
        return public_filter(today)

    def index(self, visibility: Visibility) -> Q | None:
        metadata_only = Q(kind="set", state=State.PUBLISHED, access=Access.FILES_EMBARGOED)
        return PUBLIC_FILES.index(visibility) | metadata_only

    def engine(self, visibility: Visibility) -> EngineQuery | None:
        metadata_only = EngineQ(
            "bool",
            filter=[
                EngineQ("term", kind="set"),
                EngineQ("term", state=State.PUBLISHED.value),
                EngineQ("term", access=Access.FILES_EMBARGOED.value),
            ],
        )
        files = PUBLIC_FILES.engine(visibility)
        return EngineQ("bool", should=[files, metadata_only], minimum_should_match=1)


class Owner(Rule):
    """The user who created the set (or was given it)."""

    def allows(self, actor, image_set: ImageSet) -> bool:
        return signed_in(actor) and actor.pk is not None and image_set.owner_id == actor.pk

    def orm(self, actor, today: date) -> Q | None:
        return Q(owner=actor.pk) if signed_in(actor) and actor.pk is not None else None

    def index(self, visibility: Visibility) -> Q | None:
        return Q(owner_id=visibility.user_id) if visibility.user_id is not None else None

    def engine(self, visibility: Visibility) -> EngineQuery | None:
        if visibility.user_id is None:
            return None
        return EngineQ("term", owner_id=visibility.user_id)


class Curator(Rule):
    """A user the owner named curator of the set."""

    def allows(self, actor, image_set: ImageSet) -> bool:
        if not signed_in(actor) or actor.pk is None or image_set.pk is None:
            return False
        return image_set.curators.filter(pk=actor.pk).exists()

    def orm(self, actor, today: date) -> Q | None:
        if not signed_in(actor) or actor.pk is None:
            return None
        return Q(pk__in=ImageSet.curators.through.objects.filter(user=actor.pk).values("imageset"))

    def index(self, visibility: Visibility) -> Q | None:
        if visibility.user_id is None:
            return None
        curated = SearchValue.objects.filter(field="curator_ids", value=str(visibility.user_id))
        return Q(id__in=curated.values("entry_id"))

    def engine(self, visibility: Visibility) -> EngineQuery | None:
        return (
            EngineQ("term", curator_ids=visibility.user_id)
            if visibility.user_id is not None
            else None
        )


class Reviewer(Curator):
    """A user named reviewer of the set. Search documents list curators and
    reviewers together (`curator_ids`): both may see the set before it is public,
    so the filter forms are the curator's."""

    def allows(self, actor, image_set: ImageSet) -> bool:
        if not signed_in(actor) or actor.pk is None or image_set.pk is None:
            return False
        return image_set.reviewers.filter(pk=actor.pk).exists()

    def orm(self, actor, today: date) -> Q | None:
        if not signed_in(actor) or actor.pk is None:
            return None
        return Q(pk__in=ImageSet.reviewers.through.objects.filter(user=actor.pk).values("imageset"))


STAFF, OWNER, CURATOR, REVIEWER = Staff(), Owner(), Curator(), Reviewer()
PUBLIC, PUBLIC_FILES = Public(), PublicFiles()

POLICY: dict[Action, tuple[Rule, ...]] = {
    Action.VIEW: (STAFF, OWNER, CURATOR, REVIEWER, PUBLIC),
    # Never more than VIEW: whoever may read a set's files may see the set.
    Action.READ_FILES: (STAFF, OWNER, CURATOR, REVIEWER, PUBLIC_FILES),
    Action.EDIT: (STAFF, OWNER, CURATOR),
    Action.DELETE: (STAFF, OWNER, CURATOR),
    Action.CHANGE_ACCESS: (STAFF, OWNER, CURATOR),
    Action.MANAGE_CURATORS: (STAFF, OWNER),
    Action.SEE_CURATION: (STAFF, OWNER, CURATOR),
    Action.RUN_MODELS: (STAFF, OWNER, CURATOR),
    Action.PUBLISH: (STAFF, OWNER, CURATOR),
    Action.NEW_VERSION: (STAFF, OWNER, CURATOR),
    Action.ANNOTATE: (STAFF, OWNER, CURATOR, REVIEWER),
    Action.REVIEW: (STAFF, OWNER, CURATOR, REVIEWER),
    Action.MANAGE_REVIEWERS: (STAFF, OWNER, CURATOR),
}

# What a published set (or one being published) refuses to everybody: its DOI
# promises that the metadata and files cited stay as they are. Access may still
# change (an embargo ends, a record is restricted), and who curates it is not
# part of the record.
FROZEN = {Action.EDIT, Action.DELETE, Action.PUBLISH, Action.ANNOTATE, Action.REVIEW}
FROZEN_STATES = {State.PUBLISHING, State.PUBLISHED}
# Actions that only make sense in some states.
ONLY_IN = {Action.NEW_VERSION: {State.PUBLISHED}}

REASONS = {
    Action.VIEW: "No image set with this id (or none you may see).",
    Action.READ_FILES: "The files of this set are under embargo.",
    Action.EDIT: "Only its owner, curators and staff may change this set.",
    Action.DELETE: "Only its owner, curators and staff may delete this set.",
    Action.CHANGE_ACCESS: "Only its owner, curators and staff may change who may see this set.",
    Action.MANAGE_CURATORS: "Only the set's owner and staff may change its curators.",
    Action.SEE_CURATION: "Only its owner, curators and staff may curate this set.",
    Action.RUN_MODELS: "Only its owner, curators and staff may run models on this set.",
    Action.PUBLISH: "Only its owner, curators and staff may publish this set.",
    Action.NEW_VERSION: "Only its owner, curators and staff may make a new version of this set.",
    Action.ANNOTATE: "Only the set's curators and reviewers may change its annotations.",
    Action.REVIEW: "Only the set's curators and reviewers may review its annotations.",
    Action.MANAGE_REVIEWERS: "Only the set's owner, curators and staff may change its reviewers.",
}
IMMUTABLE = (
    "This set is published, and a published set is immutable: its DOI promises that the "
    "metadata and files cited stay as they are. Publish a new version to change it."
)
BEING_PUBLISHED = (
    "This set is being published: its metadata and files are frozen while the deposit "
    "runs. If the repository refuses it, it becomes a draft again."
)
# An external set (catalogue/harvest/) is a copy of another catalogue's record: only
# seen here, and changed by its harvest alone.
EXTERNAL_ALLOWS = {Action.VIEW, Action.READ_FILES}
EXTERNAL = (
    "This set is a record of another catalogue, harvested here: it is read-only. "
    "Change it at its source; the next harvest brings the change."
)
WRONG_STATE = {Action.NEW_VERSION: "Only a published set has a next version; publish it first."}


# --- the object check --------------------------------------------------------------------


def allowed(actor, action: Action, image_set: ImageSet) -> bool:
    """Whether `actor` holds a role that may do `action` (the set's state aside)."""
    return any(rule.allows(actor, image_set) for rule in POLICY[action])


def state_refusal(action: Action, image_set: ImageSet) -> WrongState | None:
    """Why the set's state refuses `action` to everybody, or None."""
    if image_set.harvest_source_id is not None and action not in EXTERNAL_ALLOWS:
        return Immutable(EXTERNAL)
    if action in FROZEN and image_set.state in FROZEN_STATES:
        reason = IMMUTABLE if image_set.state == State.PUBLISHED else BEING_PUBLISHED
        return Immutable(reason)
    if action in ONLY_IN and image_set.state not in ONLY_IN[action]:
        return WrongState(WRONG_STATE[action])
    return None


def permitted(actor, action: Action, image_set: ImageSet) -> bool:
    """Whether `action` would succeed now: the role, and the set's state."""
    return state_refusal(action, image_set) is None and allowed(actor, action, image_set)


def require(actor, action: Action, image_set: ImageSet) -> None:
    """Raise unless `actor` may do `action` to `image_set` now: NotVisible when they
    may not even see it, NotAllowed when their role does not allow it, Immutable
    (or WrongState) when the set's state forbids it."""
    if not allowed(actor, Action.VIEW, image_set):
        raise NotVisible(REASONS[Action.VIEW])
    if action != Action.VIEW and not allowed(actor, action, image_set):
        raise NotAllowed(REASONS[action])
    refusal = state_refusal(action, image_set)
    if refusal is not None:
        raise refusal


def require_signed_in(actor, what: str = "create image sets") -> None:
    if not signed_in(actor):
        raise NotAllowed(f"Sign in to {what}.")


def files_open(image_set: ImageSet, today: date | None = None) -> bool:
    """Whether the set's access lets anybody read its files now (once published):
    open, or embargoed (wholly or its files only) with the embargo over."""
    if image_set.access == Access.OPEN:
        return True
    today = today or timezone.localdate()
    return (
        image_set.access in EMBARGOES
        and image_set.embargo_until is not None
        and image_set.embargo_until <= today
    )


def metadata_open(image_set: ImageSet, today: date | None = None) -> bool:
    """Whether the set's access lets anybody see its metadata now (once published):
    its files may be read, or only they are under embargo. A DOI makes metadata
    public, so only such a set may be registered (DataCite) or deposited as a
    public record."""
    return image_set.access == Access.FILES_EMBARGOED or files_open(image_set, today)


def is_public(image_set: ImageSet, today: date | None = None) -> bool:
    """Whether anybody, signed in or not, may see this set (its metadata) now."""
    return image_set.state == State.PUBLISHED and metadata_open(image_set, today)


def files_public(image_set: ImageSet, today: date | None = None) -> bool:
    """Whether anybody, signed in or not, may read this set's files now."""
    return image_set.state == State.PUBLISHED and files_open(image_set, today)


# --- the filter forms --------------------------------------------------------------------


def files_public_filter(today: date | None = None) -> Q:
    """`files_public` as a filter on ImageSet rows."""
    today = today or timezone.localdate()
    return Q(state=State.PUBLISHED) & (
        Q(access=Access.OPEN) | Q(access__in=EMBARGOES, embargo_until__lte=today)
    )


def public_filter(today: date | None = None) -> Q:
    """`is_public` as a filter on ImageSet rows."""
    return files_public_filter(today) | Q(state=State.PUBLISHED, access=Access.FILES_EMBARGOED)


def _any_of(parts: list[Q | None]) -> Q:
    """Rows matching any of the rules' filters. An empty Q (a rule that admits
    everything) wins: Django drops an empty Q from an OR, so it is checked first."""
    wanted = [part for part in parts if part is not None]
    if any(not part for part in wanted):
        return Q()
    if not wanted:
        return Q(pk__in=[])
    combined = wanted[0]
    for part in wanted[1:]:
        combined |= part
    return combined


def orm_filter(actor, action: Action = Action.VIEW, today: date | None = None) -> Q:
    """The sets `actor` may do `action` to, as a filter on ImageSet rows (state aside)."""
    today = today or timezone.localdate()
    return _any_of([rule.orm(actor, today) for rule in POLICY[action]])


def index_filter(visibility: Visibility) -> Q:
    """The entries `visibility` may see, as a filter on the database index's entries."""
    return _any_of([rule.index(visibility) for rule in POLICY[Action.VIEW]])


def engine_filter(visibility: Visibility) -> EngineQuery | None:
    """The documents `visibility` may see, as an engine query clause; None when no
    filter is needed (staff)."""
    if visibility.everything:
        return None
    parts = [rule.engine(visibility) for rule in POLICY[Action.VIEW] if rule is not STAFF]
    return EngineQ("bool", should=[p for p in parts if p is not None], minimum_should_match=1)


# --- copies of an external set's files ----------------------------------------------------
# An external set's images link to its source's files; a copy here (on request only,
# catalogue/services/external_copies.py) costs our storage, so staff or the set's
# curators decide it. Anonymous visitors and other users are refused on every path.
COPY_EXTERNAL = "Only staff and the set's curators may copy its files here."


def may_copy_external_files(actor, image_set: ImageSet) -> bool:
    return image_set.harvest_source_id is not None and (
        is_staff(actor) or CURATOR.allows(actor, image_set)
    )


def require_copy_external_files(actor, image_set: ImageSet) -> None:
    """Raise NotVisible (the set cannot be seen), NotAllowed, or WrongState (not an
    external set) unless `actor` may ask for a copy of the set's files."""
    if not allowed(actor, Action.VIEW, image_set):
        raise NotVisible(REASONS[Action.VIEW])
    if not (is_staff(actor) or CURATOR.allows(actor, image_set)):
        raise NotAllowed(COPY_EXTERNAL)
    if image_set.harvest_source_id is None:
        raise WrongState("This set's files are held here already: it is not an external set.")
