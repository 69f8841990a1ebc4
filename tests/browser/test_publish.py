"""A curator publishes a set in the browser: the checklist sends them to what is
missing, they fill it in, publish, watch the deposit (run by a real worker) reach
"Published", and open the landing page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from curation.models import Deposit
from tests.browser.conftest import curators_draft

pytestmark = [pytest.mark.services("browser"), pytest.mark.django_db(transaction=True)]


def test_publish_a_set_and_follow_its_deposit(page, sign_in, people, shoot, celery_worker):
    image_set = curators_draft(
        people,
        images=3,
        title="Skagerrak copepods 2024",
        description="Copepods imaged with a FlowCam in the Skagerrak.",
        access="open",
        version="1.0",
    )
    sign_in(people["curator"])

    page.goto(f"{page.base}/curate/sets/{image_set.uuid}/edit")
    page.get_by_role("link", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", name="Publish “Skagerrak copepods 2024”")).to_be_visible()
    checklist = page.locator("#checklist")
    expect(checklist).to_contain_text("One thing keeps this set from being published")
    expect(page.locator(".image-count")).to_have_text("3")
    expect(page.locator("#publish-form")).to_contain_text("no DOI")
    shoot(page, "publish-checklist")

    # The checklist's link leads to the field on the edit page.
    checklist.get_by_role("link", name="Creators").click()
    expect(page.get_by_role("heading", name="Edit “Skagerrak copepods 2024”")).to_be_visible()
    assert page.url.endswith("#creators")
    page.locator("#id_creators-0-name").fill("Berg, Anna")
    page.locator("#id_creators-0-orcid").fill("0000-0002-1825-0097")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    page.get_by_role("link", name="Publish", exact=True).click()
    expect(checklist).to_contain_text("Nothing is missing")
    page.get_by_role("button", name="Publish", exact=True).click()

    expect(page.get_by_role("heading", name="Publishing “Skagerrak copepods 2024”")).to_be_visible()
    deposit = Deposit.objects.get(image_set=image_set)
    assert page.url.endswith(f"/curate/deposits/{deposit.pk}")
    summary = page.locator("#deposit-summary")
    expect(summary).to_have_attribute("aria-live", "polite")
    # The page refreshes itself (by script, in place) until the worker has published.
    expect(summary.locator("[data-state]")).to_have_attribute(
        "data-state", "published", timeout=60_000
    )
    expect(page.locator("#deposit")).to_have_attribute("data-active", "false")
    expect(summary).to_contain_text("Published")
    expect(page.locator(".deposit-doi")).to_contain_text(
        "No DOI: the landing page is the identifier"
    )
    expect(page.locator(".deposit-steps li").last).to_contain_text("published")
    assert page.locator("#deposit-progress").evaluate("p => p.value === p.max")
    shoot(page, "publish-deposit-published")

    page.get_by_role("link", name="View the landing page").click()
    expect(page.get_by_role("heading", name="Skagerrak copepods 2024", exact=True)).to_be_visible()
    expect(page.locator(".landing-badges")).not_to_contain_text("Draft")
    image_set.refresh_from_db()
    assert image_set.state == "published" and image_set.published is not None
    shoot(page, "publish-landing")

    # A new version from the read-only page, then the draft's editor.
    page.goto(f"{page.base}/curate/sets/{image_set.uuid}/edit")
    page.get_by_role("button", name="New version").click()
    expect(page.get_by_text("Draft of version 1.1 created")).to_be_visible()
    expect(page.locator("#set-form")).to_be_visible()

    # Once that version is published, the first one's landing page points at it.
    draft = ImageSet.objects.get(previous_version=image_set)
    services.publish_image_set(draft, actor=SYSTEM)
    page.goto(f"{page.base}/sets/{image_set.uuid}/")
    notice = page.locator(".newer-version")
    expect(notice).to_contain_text("A newer version of this set exists")
    notice.get_by_role("link").click()
    expect(page.locator(".all-versions li[aria-current=page]")).to_contain_text("Version 1.1")
    expect(page.locator(".newer-version")).to_have_count(0)
    page.goto(f"{page.base}/sets/{image_set.uuid}/latest/")
    assert page.url.endswith(f"/sets/{draft.uuid}/")
    shoot(page, "publish-landing-versions")
    assert page.errors == []
