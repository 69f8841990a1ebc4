"""Every page against the WCAG 2.1 A and AA rules of axe-core (vendored, run in
the page by Chromium): labels, names, contrast, landmarks, ARIA use."""

from __future__ import annotations

import pytest

from curation.models import Deposit
from curation.services.deposits import run_deposit
from tests.browser.conftest import ROOT_VENDOR, curators_draft

AXE = ROOT_VENDOR / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))",
        WCAG,
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found]


PUBLIC_PAGES = [
    "/",
    "/search/",
    "/search/?q=baltic&instrument=FlowCam",
    "/images/",
    "/accounts/login/",
    "/models/",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_pass_wcag_rules(page, browse_catalogue, path):
    page.goto(page.base + path)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_landing_page_and_lightbox_pass_wcag_rules(page, browse_catalogue):
    page.goto(f"{page.base}/sets/{browse_catalogue['baltic'].uuid}/")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []
    page.locator(".gallery a, .gallery button").first.click()
    assert violations(page) == []


def test_curator_pages_pass_wcag_rules(page, browse_catalogue, people, sign_in):
    sign_in(people["curator"])
    baltic = browse_catalogue["baltic"]
    med = browse_catalogue["med"]
    for path in (
        "/curate/",
        "/curate/sets/new",
        f"/curate/sets/{baltic.uuid}/edit",
        f"/curate/sets/{med.uuid}/upload",
        f"/sets/{med.uuid}/analyse",
        f"/curate/sets/{med.uuid}/curators",
        f"/curate/sets/{med.uuid}/reviewers",
        f"/curate/sets/{med.uuid}/labels",
        "/accounts/",
    ):
        page.goto(page.base + path)
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], path


def test_publish_and_deposit_pages_pass_wcag_rules(page, browse_catalogue, people, sign_in):
    """The publish page (its checklist, then its problems after a refused publish), a
    frozen set's publish page, and a deposit's page while queued and once published."""
    unfinished = curators_draft(people, title="Unfinished copepods")
    ready = curators_draft(
        people, images=1, title="Ready copepods", creators=[{"name": "Berg, Anna"}]
    )
    sign_in(people["curator"])
    page.goto(f"{page.base}/curate/sets/{unfinished.uuid}/publish")
    assert violations(page) == [], "publish page"
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_selector("#error-summary")
    assert violations(page) == [], "publish page with problems"
    page.goto(f"{page.base}/curate/sets/{browse_catalogue['baltic'].uuid}/publish")
    assert violations(page) == [], "publish page of a published set"

    page.goto(f"{page.base}/curate/sets/{ready.uuid}/publish")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_selector("#deposit-summary")
    assert violations(page) == [], "deposit page, queued"
    run_deposit(Deposit.objects.get(image_set=ready).pk)  # stands for the worker
    page.reload()
    page.wait_for_load_state("networkidle")
    assert violations(page) == [], "deposit page, published"


def test_the_checker_catches_a_broken_page(page, browse_catalogue):
    page.goto(page.base + "/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<input type=text><img src=/static/aquacat/favicon.svg>"
        '<p style="color:#ccc;background:#fff">faint</p>\')'
    )
    found = " ".join(violations(page))
    assert "label" in found and "image-alt" in found and "color-contrast" in found
