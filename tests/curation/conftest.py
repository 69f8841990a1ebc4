"""Fixtures for the curator pages and publishing: a logged-in client, reading a
page, a form's POST data, a set ready to publish, and test publishing targets."""

from __future__ import annotations

import lxml.html
import pytest
from django.test import Client

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from curation import repositories
from curation.repositories import Target, TargetError, TransientTargetError
from curation.services.deposits import run_deposit
from tests.catalogue.conftest import real_jpegs

CREATORS = [{"name": "Mortelmans, Jonas", "orcid": "0000-0002-1825-0097"}]


@pytest.fixture(autouse=True)
def curation_settings(local_files_database_search):
    return local_files_database_search


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def soup(response):
    return lxml.html.fromstring(response.content.decode())


def by_id(page, element_id: str):
    found = page.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def text(node) -> str:
    """A node's text, its white space collapsed ("" for no node)."""
    return " ".join(node.text_content().split()) if node is not None else ""


def management(prefix: str, total: int = 1) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def form_data(**fields) -> dict:
    """POST data of the set form: a valid minimal set, changed by `fields`."""
    data = {
        "title": "Copepods of the Skagerrak",
        "licence": "CC-BY-4.0",
        "access": "open",
        **management("creators", 2),
        **management("taxa"),
        **management("related"),
        **management("funding"),
        "creators-0-name": "Berg, Anna",
    }
    data.update(fields)
    return data


# --- publishing ------------------------------------------------------------------------


def ready_set(people=None, *, images: int = 2, **fields) -> ImageSet:
    """A draft with all a publication needs (a title, creators, a licence, `images`
    real images), unless `fields` take something away; owned by people["owner"] and
    curated by people["curator"] when `people` is given, else by nobody."""
    values = {
        "title": "Phytoplankton of the Belgian part of the North Sea",
        "creators": CREATORS,
        "licence": "CC-BY-4.0",
        "version": "1.0",
        **fields,
    }
    if people is not None:
        values = {"owner": people["owner"], "curators": [people["curator"]], **values}
    image_set = services.create_image_set(**values, actor=SYSTEM)
    if images:
        services.ingest(image_set, real_jpegs(images), actor=SYSTEM)
    image_set.refresh_from_db()
    return image_set


# Test targets: what a repository can answer, as the Target interface receives it.


class MintingTarget(Target):
    """A repository that takes the files one by one and mints a DOI under a concept
    DOI. Takes each step once, skipping those the deposit has recorded (a resumed
    deposit); `taken` lists the steps it took, in order."""

    kind = "minting"
    mints_doi = True
    taken: list[str] = []

    def deposit(self, run) -> tuple[str, str]:
        total = run.image_set.images.count()
        if self.first_time(run, "draft created"):
            run.record("draft created", remote_id="abc12-3de45")
        if self.first_time(run, "files uploaded"):
            for done in range(1, total + 1):
                run.progress(done, total)
            run.record("files uploaded", f"{total} file(s)")
        if self.first_time(run, "publish requested"):
            run.record("publish requested", remote_url="https://repository.example/records/abc12")
        return "10.5072/aquacat.2", "10.5072/aquacat.1"

    def first_time(self, run, step: str) -> bool:
        if run.done(step):
            return False
        MintingTarget.taken.append(step)
        return True


class RefusingTarget(Target):
    """A repository that refuses the record, as InvenioRDM does with a 400, naming
    fields. With the option `needs` (field names), it also refuses beforehand a set
    without them."""

    kind = "refusing"

    def refuses(self, image_set) -> dict[str, list[str]]:
        needs = self.options.get("needs", ())
        return {
            name: ["the repository needs one"] for name in needs if not getattr(image_set, name)
        }

    def deposit(self, run) -> tuple[str, str]:
        run.record("draft created", remote_id="abc12-3de45")
        raise TargetError(
            "The repository refused the record (400).",
            {
                "metadata.creators": ["Missing affiliation."],
                "metadata.title": ["Too short.", "Not in English."],
            },
        )


class DownTarget(Target):
    """A repository that went away half-way through the files."""

    kind = "down"

    def deposit(self, run) -> tuple[str, str]:
        if not run.done("draft created"):
            run.record("draft created")
        run.progress(1, run.image_set.images.count())
        raise TransientTargetError("503 Service Unavailable", retry_after=5)


TEST_TARGETS = (MintingTarget, RefusingTarget, DownTarget)


@pytest.fixture
def targets(settings, monkeypatch):
    """Configures publishing targets of the test kinds (and the built-in "none"):
    `targets(zenodo="minting", broken="refusing")`, a name's value a kind or a
    target's settings (`{"kind": "refusing", "needs": ["description"]}`); without
    names, one target of each test kind, named as its kind."""
    for kind in TEST_TARGETS:
        monkeypatch.setitem(repositories.KINDS, kind.kind, kind)
    monkeypatch.setattr(MintingTarget, "taken", [])

    def configure(**named: str | dict) -> dict[str, dict]:
        named = named or {kind.kind: kind.kind for kind in TEST_TARGETS}
        settings.PUBLISH_TARGETS = {
            name: {"kind": spec} if isinstance(spec, str) else dict(spec)
            for name, spec in named.items()
        }
        return settings.PUBLISH_TARGETS

    return configure


def expect_waiting(deposit, first_step: str) -> None:
    """Run a deposit whose repository is down: the task raises to be retried, the
    deposit waits with its first step not taken, and the set stays frozen."""
    with pytest.raises(TransientTargetError):
        run_deposit(deposit.pk)
    deposit.refresh_from_db()
    assert deposit.state == "waiting" and not deposit.step_done(first_step)
    assert ImageSet.objects.get(pk=deposit.image_set_id).state == "publishing"
