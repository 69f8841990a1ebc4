"""Reviewing in the browser: the review grid driven by the keyboard only (validate
twenty annotations, undo), the annotation editor driven by the mouse (draw a box
and a polygon, move, delete, read back through the API), and axe-core on both."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from catalogue import services
from catalogue.access import SYSTEM
from curation.models import Annotation, ReviewEvent
from tests.browser.conftest import PASSWORD
from tests.browser.test_accessibility import violations
from tests.curation.review_data import set_to_review

pytestmark = [pytest.mark.services("browser"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reviewer(people):
    return get_user_model().objects.create_user("rosa", password=PASSWORD)


def statuses(annotations) -> list[str]:
    by_id = dict(
        Annotation.objects.filter(pk__in=[a.pk for a in annotations]).values_list("pk", "status")
    )
    return [by_id[a.pk] for a in annotations]


def open_grid(page, image_set, count: int, query: str = "") -> None:
    page.goto(f"{page.base}/curate/sets/{image_set.uuid}/review{query}")
    page.wait_for_function(
        "n => document.getElementById('review-grid').dataset.loaded === String(n)", arg=count
    )


def tab_to(page, element_id: str) -> None:
    """Focus an element the way a keyboard user does: Tab, Tab, ..."""
    for _ in range(80):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def settled(page) -> None:
    """Wait until every review request the grid queued has been answered."""
    page.wait_for_function(
        "() => (document.getElementById('review-grid').dataset.pending || '0') === '0'"
    )


def count_of(page, status: str):
    return page.locator(f"#status-counts [data-status={status}]")


def test_a_reviewer_validates_twenty_annotations_with_the_keyboard_only(
    page, sign_in, people, reviewer, shoot
):
    image_set, _, made = set_to_review(
        owner=people["curator"], reviewers=[reviewer], predictions=20
    )
    ordered = sorted(made, key=lambda a: -a.confidence)
    sign_in(reviewer)
    open_grid(page, image_set, 20, "?status=predicted")
    expect(count_of(page, "predicted")).to_have_text("20")
    tab_to(page, "review-grid")

    # The first ten: Shift+arrows select them, v validates them together.
    for _ in range(9):
        page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#selected-count")).to_have_text("10")
    page.keyboard.press("v")
    expect(page.locator("#review-status")).to_contain_text("Validated: 10 annotation(s)")
    assert statuses(ordered[:10]) == ["validated"] * 10
    assert statuses(ordered[10:]) == ["predicted"] * 10

    # The other ten one by one: v validates the one in focus and moves on.
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    for _ in range(10):
        page.keyboard.press("v")
    settled(page)
    expect(count_of(page, "validated")).to_have_text("20")
    expect(count_of(page, "predicted")).to_have_text("0")
    expect(page.locator("#validated-percent")).to_have_text("100%")
    assert statuses(ordered) == ["validated"] * 20
    rows = Annotation.objects.filter(pk__in=[a.pk for a in made])
    assert set(rows.values_list("reviewed_by__username", flat=True)) == {"rosa"}
    assert ReviewEvent.objects.filter(action="validate", actor=reviewer).count() == 20
    assert page.locator("#review-grid [role=option].status-validated").count() == 20
    shoot(page, "review grid validated")
    assert page.errors == []


def test_undo_puts_back_the_last_actions(page, sign_in, people, reviewer):
    image_set, _, made = set_to_review(owner=people["curator"], reviewers=[reviewer], predictions=6)
    ordered = sorted(made, key=lambda a: -a.confidence)
    sign_in(reviewer)
    open_grid(page, image_set, 6)
    tab_to(page, "review-grid")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("r")  # reject the first three
    settled(page)
    expect(count_of(page, "rejected")).to_have_text("3")
    page.keyboard.press("Escape")
    page.keyboard.press("End")
    page.keyboard.press("c")  # the last one relabelled Ciliophora by its key (and validated)
    settled(page)
    last = Annotation.objects.get(pk=ordered[-1].pk)
    assert (last.label.name, last.status) == ("Ciliophora", "validated")
    assert statuses(ordered[:3]) == ["rejected"] * 3

    page.keyboard.press("u")  # undoes the relabel
    settled(page)
    expect(page.locator("#review-status")).to_contain_text("Undone: relabelled as ciliophora")
    last.refresh_from_db()
    assert (last.label.name, last.status) == ("Tripos", "predicted")
    page.keyboard.press("Control+z")  # then the rejection
    settled(page)
    expect(count_of(page, "rejected")).to_have_text("0")
    expect(count_of(page, "predicted")).to_have_text("6")
    assert statuses(ordered) == ["predicted"] * 6
    assert ReviewEvent.objects.filter(action="revert").count() == 4
    assert page.locator("#review-grid .status-predicted").count() == 6
    assert page.errors == []


def test_mouse_selection_and_relabelling_by_type_ahead(page, sign_in, people, reviewer):
    image_set, named, made = set_to_review(
        owner=people["curator"], reviewers=[reviewer], predictions=6
    )
    ordered = sorted(made, key=lambda a: -a.confidence)
    sign_in(reviewer)
    open_grid(page, image_set, 6)
    tiles = page.locator("#review-grid [role=option]")
    tiles.nth(0).click()
    tiles.nth(3).click(modifiers=["Shift"])  # the first four
    tiles.nth(1).click(modifiers=["Control"])  # less the second
    expect(page.locator("#selected-count")).to_have_text("3")
    expect(tiles.nth(1)).to_have_attribute("aria-selected", "false")
    page.get_by_role("button", name="Dubious").click()
    settled(page)
    assert statuses(ordered) == [
        "dubious",
        "predicted",
        "dubious",
        "dubious",
        "predicted",
        "predicted",
    ]

    tiles.nth(5).click()
    page.get_by_label("New label").fill("detri")
    page.get_by_label("New label").press("Enter")
    expect(page.locator("#review-status")).to_contain_text("No label named “detri”")
    page.get_by_label("New label").fill("Detritus")  # names match whatever their case
    page.get_by_label("New label").press("Enter")
    settled(page)
    expect(tiles.nth(5)).to_contain_text("detritus")
    last = Annotation.objects.get(pk=ordered[5].pk)
    assert (last.label, last.status) == (named["detritus"], "validated")
    expect(count_of(page, "dubious")).to_have_text("3")
    assert page.errors == []


def view_box(page) -> list[float]:
    return [float(v) for v in page.get_attribute("#stage", "viewBox").split()]


def screen_point(page, x: float, y: float) -> tuple[float, float]:
    """Where a point of the image (in its pixels) is on the screen now."""
    return tuple(
        page.evaluate(
            """([x, y]) => {
                const svg = document.getElementById('stage');
                const p = svg.createSVGPoint(); p.x = x; p.y = y;
                const q = p.matrixTransform(svg.getScreenCTM());
                return [q.x, q.y];
            }""",
            [x, y],
        )
    )


def saved(page, count: int) -> None:
    page.wait_for_function(
        "n => Number(document.getElementById('stage').dataset.saved || 0) >= n", arg=count
    )


def api_annotations(page, image) -> list[dict]:
    response = page.request.get(f"{page.base}/api/v1/annotations/?image={image.pk}&ordering=id")
    assert response.ok, response.text()
    return response.json()["results"]


def close_to(found, expected, tolerance: float = 1.5) -> bool:
    flat_found = [v for p in found for v in (p if isinstance(p, list) else [p])]
    flat_expected = [v for p in expected for v in (p if isinstance(p, list | tuple) else [p])]
    return len(flat_found) == len(flat_expected) and all(
        abs(a - b) <= tolerance for a, b in zip(flat_found, flat_expected, strict=True)
    )


def test_drawing_a_box_and_a_polygon_with_the_mouse(page, sign_in, people, reviewer, shoot):
    image_set, _, _ = set_to_review(owner=people["curator"], reviewers=[reviewer], images=1)
    image = image_set.images.get()
    w, h = image.width, image.height
    sign_in(reviewer)
    page.goto(f"{page.base}/curate/images/{image.pk}/annotate")
    page.wait_for_function("() => document.getElementById('stage').dataset.loaded === '0'")
    page.get_by_label("Label", exact=True).fill("Tripos")

    page.get_by_label("Box").check()
    box = [round(w * 0.2), round(h * 0.2), round(w * 0.6), round(h * 0.5)]
    page.mouse.move(*screen_point(page, box[0], box[1]))
    page.mouse.down()
    page.mouse.move(*screen_point(page, box[2], box[3]), steps=6)
    page.mouse.up()
    saved(page, 1)

    page.get_by_label("Polygon").check()
    # The whole stage in the window, so that every corner is a point the mouse reaches.
    page.evaluate("document.getElementById('stage').scrollIntoView({block: 'start'})")
    # Three corners, away from the box; a double-click closes the polygon.
    corners = [(w * 0.3, h * 0.6), (w * 0.5, h * 0.85), (w * 0.7, h * 0.6)]
    page.mouse.click(*screen_point(page, *corners[0]))
    page.mouse.click(*screen_point(page, *corners[1]))
    page.mouse.dblclick(*screen_point(page, *corners[2]))
    saved(page, 2)

    # Zoomed in with the wheel (over the image's centre), panned with the middle button.
    page.mouse.move(*screen_point(page, w / 2, h / 2))
    page.mouse.wheel(0, -100)
    zoomed = view_box(page)
    assert zoomed[2] < w and zoomed[3] < h
    page.mouse.down(button="middle")
    page.mouse.move(*screen_point(page, w / 2 - w * 0.05, h / 2), steps=3)
    page.mouse.up(button="middle")
    assert view_box(page)[0] > zoomed[0]
    assert view_box(page)[2] == zoomed[2]
    # Zoomed and panned, a polygon is drawn inside what is in view, in image pixels.
    x, y, vw, vh = view_box(page)
    close = [
        (x + vw * 0.4, y + vh * 0.4),
        (x + vw * 0.6, y + vh * 0.4),
        (x + vw * 0.5, y + vh * 0.6),
    ]
    page.mouse.click(*screen_point(page, *close[0]))
    page.mouse.click(*screen_point(page, *close[1]))
    page.mouse.dblclick(*screen_point(page, *close[2]))
    saved(page, 3)

    found = api_annotations(page, image)
    assert [a["geometry"]["type"] for a in found] == ["box", "polygon", "polygon"]
    assert all(a["label"]["name"] == "Tripos" and a["status"] == "validated" for a in found)
    assert close_to(found[0]["geometry"]["coordinates"], box), found[0]["geometry"]
    assert close_to(found[1]["geometry"]["coordinates"], corners), found[1]["geometry"]
    assert close_to(found[2]["geometry"]["coordinates"], close), found[2]["geometry"]
    shoot(page, "annotation editor")
    page.get_by_role("button", name="Fit").click()
    assert view_box(page) == [0, 0, w, h]

    # Drag the box by its middle: moved, saved with a new revision.
    page.get_by_label("Select and move").check()
    middle = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    page.mouse.move(*screen_point(page, *middle))
    page.mouse.down()
    page.mouse.move(*screen_point(page, middle[0] + 10, middle[1] + 5), steps=4)
    page.mouse.up()
    saved(page, 4)
    moved = api_annotations(page, image)[0]
    assert close_to(
        moved["geometry"]["coordinates"], [box[0] + 10, box[1] + 5, box[2] + 10, box[3] + 5]
    )
    assert moved["revision"] == 2

    # The selected box goes with Delete.
    page.keyboard.press("Delete")
    page.wait_for_function(
        "() => document.querySelectorAll('#annotation-list [data-id]').length === 2"
    )
    assert [a["geometry"]["type"] for a in api_annotations(page, image)] == ["polygon", "polygon"]
    assert page.errors == []


def test_the_review_pages_pass_wcag_rules(page, sign_in, people, reviewer):
    image_set, _, made = set_to_review(owner=people["curator"], reviewers=[reviewer], predictions=5)
    sign_in(reviewer)
    open_grid(page, image_set, 5)
    tab_to(page, "review-grid")
    page.keyboard.press("Shift+ArrowRight")
    assert violations(page) == [], "review grid"
    page.goto(f"{page.base}/curate/images/{made[0].image_id}/annotate")
    page.wait_for_function("() => Number(document.getElementById('stage').dataset.loaded) > 0")
    page.locator("#annotation-list .pick").first.click()
    assert violations(page) == [], "annotation editor"
    page.goto(f"{page.base}/curate/sets/{image_set.uuid}/review?confidence_min=2")
    assert violations(page) == [], "review grid with a refused filter"
    services.publish_image_set(image_set, actor=SYSTEM)
    open_grid(page, image_set, 5)
    expect(page.locator(".notice")).to_contain_text("Read-only")
    assert violations(page) == [], "a published set's review grid"
    page.goto(f"{page.base}/curate/images/{made[0].image_id}/annotate")
    expect(page.locator(".notice")).to_contain_text("new version")
    assert violations(page) == [], "a published set's editor"
    assert page.errors == []


def test_a_curators_set_page_shows_the_counts_and_passes_wcag_rules(page, sign_in, people):
    image_set, _, _ = set_to_review(owner=people["curator"], predictions=3)
    sign_in(people["curator"])
    page.goto(f"{page.base}/curate/sets/{image_set.uuid}/edit")
    section = page.locator("#annotations")
    expect(section).to_contain_text("Tripos")
    assert violations(page) == []
    section.get_by_role("link", name="Review annotations").click()
    page.wait_for_function("() => document.getElementById('review-grid').dataset.loaded === '3'")
