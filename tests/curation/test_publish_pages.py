"""Publishing through the curator pages: the checklist, the publish form, the deposit
page in each state, and new versions. The worker is stood for by calling
`run_deposit` in the test (the client tests' transactions never commit, so no task
is queued)."""

from __future__ import annotations

import pytest

from catalogue import services
from catalogue.access import BEING_PUBLISHED, SYSTEM
from catalogue.models import ImageSet
from curation.models import Deposit
from curation.repositories import TransientTargetError
from curation.services.deposits import publish, run_deposit, set_state
from tests.curation.conftest import by_id, client_for, ready_set, soup, text

pytestmark = pytest.mark.django_db


def publish_url(image_set) -> str:
    return f"/curate/sets/{image_set.uuid}/publish"


def edit_url(image_set) -> str:
    return f"/curate/sets/{image_set.uuid}/edit"


# --- the publish page --------------------------------------------------------------------


def test_the_publish_page_shows_the_checklist_of_a_ready_set(people):
    image_set = ready_set(people, images=3)
    response = client_for(people["curator"]).get(publish_url(image_set))
    assert response.status_code == 200
    page = soup(response)
    assert (
        text(page.xpath("//h1")[0])
        == "Publish “Phytoplankton of the Belgian part of the North Sea”"
    )
    assert "Nothing is missing" in text(by_id(page, "checklist"))
    assert not page.xpath("//ul[contains(@class, 'problems')]")
    assert text(page.xpath("//*[@class='image-count']")[0]) == "3"
    assert by_id(page, "fair-meter").tag == "meter"
    form = by_id(page, "publish-form")
    assert form.xpath(".//input[@name='csrfmiddlewaretoken']")
    assert form.xpath(".//button[@type='submit']")[0].text_content() == "Publish"
    means = text(form)
    assert "frozen" in means and "no DOI" in means and "landing page is its identifier" in means
    assert not form.xpath(".//input[@name='target']")  # nothing to choose without targets
    assert "Open" in text(page)


def test_the_checklist_lists_every_problem_linking_to_its_field(people, targets):
    targets(zenodo={"kind": "refusing", "needs": ["description"]})  # wants a description
    image_set = ready_set(people, images=0, creators=[])
    response = client_for(people["owner"]).get(publish_url(image_set))
    assert response.status_code == 200
    page = soup(response)
    problems = {
        a.get("href"): text(a.getparent())
        for a in page.xpath("//ul[contains(@class, 'problems')]//a")
    }
    assert problems == {
        f"{edit_url(image_set)}#creators": "✗ Creators: Creators is required",
        f"/curate/sets/{image_set.uuid}/upload": "✗ Images: a set needs at least one image",
        f"{edit_url(image_set)}#id_description": "✗ Description: the repository needs one",
    }
    assert "3 things keep this set from being published" in text(by_id(page, "checklist"))


def test_publishing_a_set_with_problems_shows_them_all_and_publishes_nothing(people, targets):
    targets(zenodo={"kind": "refusing", "needs": ["description"]})
    image_set = ready_set(people, images=0, creators=[])
    response = client_for(people["owner"]).post(publish_url(image_set))
    assert response.status_code == 200
    page = soup(response)
    summary = by_id(page, "error-summary")
    assert summary is not None and summary.get("role") == "alert"
    assert "3 problems; nothing was published" in text(summary)
    links = {a.get("href") for a in summary.xpath(".//a")}
    assert links == {
        f"{edit_url(image_set)}#creators",
        f"{edit_url(image_set)}#id_description",
        f"/curate/sets/{image_set.uuid}/upload",
    }
    image_set.refresh_from_db()
    assert image_set.state == "draft"
    assert not Deposit.objects.exists()


def test_publish_redirects_to_the_deposit_page_which_follows_it_to_published(people):
    image_set = ready_set(people)
    client = client_for(people["curator"])
    response = client.post(publish_url(image_set))
    deposit = Deposit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/curate/deposits/{deposit.pk}"
    image_set.refresh_from_db()
    assert image_set.state == "publishing"

    queued = client.get(response["Location"])
    assert queued.status_code == 200
    page = soup(queued)
    assert by_id(page, "deposit").get("data-active") == "true"
    summary = by_id(page, "deposit-summary")
    assert summary.get("aria-live") == "polite"
    assert "Queued" in text(summary)
    assert b'<noscript><meta http-equiv="refresh" content="3"></noscript>' in queued.content
    assert "No DOI: the landing page is the identifier." in text(page)

    run_deposit(deposit.pk)  # the worker
    done = client.get(response["Location"])
    page = soup(done)
    assert by_id(page, "deposit").get("data-active") == "false"
    assert b'http-equiv="refresh"' not in done.content
    assert b"<script>" not in done.content  # nothing polls any more
    assert "Published" in text(by_id(page, "deposit-summary"))
    progress = by_id(page, "deposit-progress")
    assert progress.get("value") == progress.get("max") == "1"
    assert page.xpath("//label[@for='deposit-progress']")
    steps = [text(li) for li in page.xpath("//ol[@class='deposit-steps']/li")]
    assert steps[0].startswith("no repository: the landing page is the identifier")
    assert steps[-1].startswith("published")
    assert all(page.xpath("//ol[@class='deposit-steps']/li/time/@datetime"))
    landing = page.xpath("//a[normalize-space()='View the landing page']/@href")
    assert landing == [f"/sets/{image_set.uuid}/"]
    image_set.refresh_from_db()
    assert image_set.state == "published" and image_set.doi == ""


def test_a_deposit_that_mints_a_doi_shows_it_linked(people, targets):
    targets(zenodo="minting")
    image_set = ready_set(people, images=2)
    client = client_for(people["owner"])
    page = soup(client.get(publish_url(image_set)))
    # One target: chosen for the curator, and the page says a DOI is coming.
    radio = page.xpath("//input[@name='target']")
    assert [r.get("value") for r in radio] == ["zenodo"] and radio[0].get("checked") is not None
    assert "gives it a DOI" in text(by_id(page, "publish-form"))

    response = client.post(publish_url(image_set), {"target": "zenodo"})
    deposit = Deposit.objects.get()
    assert deposit.target == "zenodo"
    run_deposit(deposit.pk)
    page = soup(client.get(response["Location"]))
    doi = page.xpath("//dd[contains(@class, 'deposit-doi')]/a")[0]
    assert doi.get("href") == "https://doi.org/10.5072/aquacat.2"
    assert text(doi) == "10.5072/aquacat.2"
    assert "10.5072/aquacat.1" in text(page)  # the concept DOI
    progress = by_id(page, "deposit-progress")
    assert (progress.get("value"), progress.get("max")) == ("2", "2")
    assert "2 of 2 files" in text(page)
    assert list(map(text, page.xpath("//ol[@class='deposit-steps']/li/*[@class='step-name']"))) == [
        "draft created",
        "files uploaded",
        "publish requested",
        "published",
    ]


def test_several_targets_make_the_curator_choose(people, targets):
    targets(alpha="none", beta="none")
    image_set = ready_set(people)
    client = client_for(people["owner"])
    page = soup(client.get(publish_url(image_set)))
    fieldset = by_id(page, "target")
    assert text(fieldset.xpath("legend")[0]) == "Repository"
    assert [r.get("value") for r in fieldset.xpath(".//input[@type='radio']")] == ["alpha", "beta"]
    for radio in fieldset.xpath(".//input[@type='radio']"):
        assert page.xpath("//label[@for=$id]", id=radio.get("id"))

    refused = client.post(publish_url(image_set))
    assert refused.status_code == 200
    summary = by_id(soup(refused), "error-summary")
    assert [a.get("href") for a in summary.xpath(".//a")] == ["#target"]
    assert "choose one of: alpha, beta" in text(summary)
    assert not Deposit.objects.exists()

    response = client.post(publish_url(image_set), {"target": "beta"})
    assert response.status_code == 302
    assert Deposit.objects.get().target == "beta"


def test_a_waiting_deposit_says_what_it_waits_for(people, targets):
    targets(zenodo="down")
    image_set = ready_set(people)
    deposit = publish(image_set, actor=people["owner"])
    with pytest.raises(TransientTargetError):
        run_deposit(deposit.pk)
    page = soup(client_for(people["curator"]).get(f"/curate/deposits/{deposit.pk}"))
    assert by_id(page, "deposit").get("data-active") == "true"
    summary = text(by_id(page, "deposit-summary"))
    assert "Waiting for the repository" in summary and "Waiting for zenodo" in summary
    assert "waiting for zenodo: 503 Service Unavailable" in text(page)
    progress = by_id(page, "deposit-progress")
    assert (progress.get("value"), progress.get("max")) == ("1", "2")
    assert "1 of 2 files" in text(page)
    assert "not yet" in text(page.xpath("//dd[contains(@class, 'deposit-doi')]")[0])


def test_a_running_deposit_shows_its_progress(people, targets):
    targets(zenodo="minting")
    image_set = ready_set(people)
    deposit = publish(image_set, actor=people["owner"])
    set_state(deposit, Deposit.State.RUNNING, files_done=1, files_total=2)
    page = soup(client_for(people["owner"]).get(f"/curate/deposits/{deposit.pk}"))
    assert "Running" in text(by_id(page, "deposit-summary"))
    assert "Sending to zenodo: 1 of 2 files" in text(by_id(page, "deposit-summary"))
    assert by_id(page, "deposit").get("data-active") == "true"


def test_a_failed_deposit_shows_the_repositorys_messages_per_field(people, targets):
    targets(zenodo="refusing")
    image_set = ready_set(people, description="Copepods seen by a UVP6.")
    deposit = publish(image_set, actor=people["owner"])
    run_deposit(deposit.pk)
    client = client_for(people["owner"])
    page = soup(client.get(f"/curate/deposits/{deposit.pk}"))
    assert by_id(page, "deposit").get("data-active") == "false"
    assert "Failed" in text(by_id(page, "deposit-summary"))
    assert "The repository refused the record (400)." in text(page)
    remote = page.xpath("//dl[contains(@class, 'remote-errors')]")[0]
    pairs = dict(zip(map(text, remote.xpath("dt")), remote.xpath("dd"), strict=True))
    assert set(pairs) == {"metadata.creators", "metadata.title"}
    assert text(pairs["metadata.creators"]) == "Missing affiliation."
    assert list(map(text, pairs["metadata.title"].xpath("ul/li"))) == [
        "Too short.",
        "Not in English.",
    ]
    retry = page.xpath("//a[normalize-space()='Fix the set and publish again']/@href")
    assert retry == [publish_url(image_set)]
    # The set is a draft again: its publish page offers the form, and the failure.
    again = soup(client.get(publish_url(image_set)))
    assert by_id(again, "publish-form") is not None
    assert again.xpath("//a[@href=$u]", u=f"/curate/deposits/{deposit.pk}")


def test_a_frozen_set_links_to_its_deposit_and_landing_page_instead_of_the_form(people):
    image_set = ready_set(people)
    client = client_for(people["owner"])
    client.post(publish_url(image_set))
    deposit = Deposit.objects.get()
    page = soup(client.get(publish_url(image_set)))  # being published
    assert by_id(page, "publish-form") is None
    assert BEING_PUBLISHED in text(page)
    assert page.xpath("//a[@href=$u]", u=f"/curate/deposits/{deposit.pk}")
    # Publishing again answers with the same deposit.
    again = client.post(publish_url(image_set))
    assert again["Location"] == f"/curate/deposits/{deposit.pk}"
    assert Deposit.objects.count() == 1

    run_deposit(deposit.pk)
    page = soup(client.get(publish_url(image_set)))
    assert by_id(page, "publish-form") is None
    assert "Published." in text(page)
    assert page.xpath("//a[@href=$u]", u=f"/sets/{image_set.uuid}/")
    assert page.xpath("//a[@href=$u]", u=f"/curate/deposits/{deposit.pk}")


def test_publishing_a_set_published_without_a_deposit_is_refused(people):
    image_set = services.publish_image_set(ready_set(people), actor=SYSTEM)
    client = client_for(people["owner"])
    page = soup(client.get(publish_url(image_set)))
    assert by_id(page, "publish-form") is None
    assert page.xpath("//a[@href=$u]", u=f"/sets/{image_set.uuid}/")
    response = client.post(publish_url(image_set))
    assert response.status_code == 409
    assert b"immutable" in response.content


def test_who_may_open_the_publish_page(people):
    draft = ready_set(people)
    public = services.publish_image_set(ready_set(people, title="Public"), actor=SYSTEM)
    other, staff = client_for(people["other"]), client_for(people["staff"])
    assert other.get(publish_url(draft)).status_code == 404  # a draft they may not see
    assert other.post(publish_url(draft)).status_code == 404
    assert other.get(publish_url(public)).status_code == 403  # seen, not theirs to curate
    assert other.post(publish_url(public)).status_code == 403
    assert staff.get(publish_url(draft)).status_code == 200
    anonymous = client_for(None).get(publish_url(draft))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert client_for(people["owner"]).get(f"/curate/sets/{draft.uuid}x/publish").status_code == 404
    draft.refresh_from_db()
    assert draft.state == "draft" and not Deposit.objects.exists()


def test_who_may_follow_a_deposit(people):
    deposit = publish(ready_set(people), actor=people["owner"])
    url = f"/curate/deposits/{deposit.pk}"
    assert client_for(people["curator"]).get(url).status_code == 200
    assert client_for(people["staff"]).get(url).status_code == 200
    assert client_for(people["other"]).get(url).status_code == 404
    assert client_for(people["owner"]).get(f"/curate/deposits/{deposit.pk + 1}").status_code == 404
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


# --- buttons: publish on a draft's edit page, new version on a published set ---------------


def test_the_edit_page_of_a_draft_has_a_publish_button(people):
    image_set = ready_set(people)
    page = soup(client_for(people["curator"]).get(edit_url(image_set)))
    assert page.xpath("//a[normalize-space()='Publish']/@href") == [publish_url(image_set)]


def test_a_published_set_offers_a_new_version_that_opens_its_draft(people):
    v1 = services.publish_image_set(ready_set(people), actor=SYSTEM)
    client = client_for(people["curator"])
    page = soup(client.get(edit_url(v1)))
    assert not page.xpath("//a[normalize-space()='Publish']")
    form = page.xpath("//form[@action=$u]", u=f"/curate/sets/{v1.uuid}/new-version")[0]
    assert form.get("method") == "post"
    assert form.xpath(".//input[@name='csrfmiddlewaretoken']")
    assert text(form.xpath(".//button")[0]) == "New version"

    response = client.post(f"/curate/sets/{v1.uuid}/new-version")
    draft = ImageSet.objects.get(previous_version=v1)
    assert response.status_code == 302
    assert response["Location"] == edit_url(draft)
    assert (draft.state, draft.version, draft.concept_uuid) == ("draft", "1.1", v1.concept_uuid)
    assert draft.images.count() == v1.images.count() == 2
    edit = client.get(response["Location"])
    page = soup(edit)
    assert "Draft of version 1.1 created" in text(page.xpath("//ul[@class='messages']")[0])
    assert by_id(page, "set-form") is not None
    assert page.xpath("//a[normalize-space()='Publish']/@href") == [publish_url(draft)]

    # Asking again opens the same draft; the published page says one exists.
    assert "A draft of the next version exists" in text(soup(client.get(edit_url(v1))))
    again = client.post(f"/curate/sets/{v1.uuid}/new-version")
    assert again["Location"] == edit_url(draft)
    assert ImageSet.objects.filter(previous_version=v1).count() == 1


def test_who_may_make_a_new_version(people):
    v1 = services.publish_image_set(ready_set(people), actor=SYSTEM)
    hidden = services.publish_image_set(
        ready_set(people, title="Hidden", access="restricted"), actor=SYSTEM
    )
    draft = ready_set(people, title="A draft")
    other = client_for(people["other"])
    page = soup(other.get(f"/sets/{v1.uuid}/"))
    assert not page.xpath("//form[contains(@action, 'new-version')]")
    assert other.post(f"/curate/sets/{v1.uuid}/new-version").status_code == 403
    assert other.post(f"/curate/sets/{hidden.uuid}/new-version").status_code == 404
    owner = client_for(people["owner"])
    assert owner.post(f"/curate/sets/{draft.uuid}/new-version").status_code == 409
    assert owner.get(f"/curate/sets/{v1.uuid}/new-version").status_code == 405
    anonymous = client_for(None).post(f"/curate/sets/{v1.uuid}/new-version")
    assert anonymous.status_code == 302
    assert not ImageSet.objects.filter(previous_version__isnull=False).exists()


def test_a_set_being_published_says_so_on_its_read_only_page(people):
    image_set = ready_set(people)
    deposit = publish(image_set, actor=people["owner"])
    page = soup(client_for(people["owner"]).get(edit_url(image_set)))
    assert BEING_PUBLISHED in text(page)
    assert not page.xpath("//form[contains(@action, 'new-version')]")  # not published yet
    assert page.xpath("//a[@href=$u]", u=f"/curate/deposits/{deposit.pk}")
