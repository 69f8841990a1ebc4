"""The search pages in a real browser: typing, facets, drawing an area on the map,
going back, and the image grid; with screenshots at desktop and mobile widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalogue.models import Image
from catalogue.services import revisions
from tests.conftest import index_all
from tests.curation.annotating import annotate as annotate_image


def total(page) -> int:
    return int(page.locator("[data-total]").get_attribute("data-total"))


def titles(page) -> list[str]:
    return page.locator(".result-card .card-title").all_inner_texts()


def wait_for_map(page) -> None:
    page.wait_for_selector("#search-map[data-map-ready=true]")


def annotate(image_set, label: str) -> None:
    """Give every image of the set an annotation (as a sidecar would) and reindex."""

    for image in Image.objects.filter(image_set=image_set):
        annotate_image(image, label)
    revisions.set_changed(image_set, with_images=True)
    index_all()


def test_type_a_query_and_see_results(page, shoot, browse_catalogue):
    page.goto(page.base + "/search/")
    wait_for_map(page)
    assert total(page) == 2  # the restricted set is not there for a visitor
    assert "Restricted ciliate survey" not in page.content()
    shoot(page, "search-all")
    box = page.get_by_label("Search image sets")
    box.fill("Balt")
    # Suggestions arrive in the datalist.
    expect(page.locator("#search-suggestions option").first).to_have_attribute(
        "value", re.compile("Baltic")
    )
    box.fill("dinoflagellates")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=dinoflagellates$"))
    assert total(page) == 1
    assert titles(page) == ["Baltic Sea dinoflagellates, FlowCam 2021"]
    assert page.locator(".result-card mark").first.inner_text().lower() == "dinoflagellates"
    assert not page.errors


def test_facet_then_area_then_back(page, shoot, browse_catalogue):
    page.goto(page.base + "/search/")
    wait_for_map(page)
    assert total(page) == 2
    instrument = page.locator("#facet-instrument")
    expect(instrument.get_by_role("checkbox", name=re.compile("^ZooScan"))).to_be_visible()
    instrument.get_by_role("checkbox", name=re.compile("^ZooScan")).check()
    page.wait_for_url(re.compile(r"instrument=ZooScan"))
    assert total(page) == 1
    assert titles(page) == ["Mediterranean diatoms, ZooScan 2021"]
    expect(instrument.get_by_role("checkbox", name=re.compile("^ZooScan"))).to_be_checked()
    assert "ZooScan" in page.locator(".active-filters").inner_text()

    page.go_back()
    page.wait_for_url(re.compile(r"/search/$"))
    wait_for_map(page)
    assert total(page) == 2

    # Draw a box around the Baltic with the mouse; only the Baltic set remains.
    page.get_by_role("button", name="Draw area").click()
    corners = page.evaluate(
        """() => {
            const map = window.AquaCatSearch.map;
            const rect = map.getContainer().getBoundingClientRect();
            const a = map.latLngToContainerPoint([64, 14]);
            const b = map.latLngToContainerPoint([55, 26]);
            return [rect.left + a.x, rect.top + a.y, rect.left + b.x, rect.top + b.y];
        }"""
    )
    page.mouse.move(corners[0], corners[1])
    page.mouse.down()
    page.mouse.move((corners[0] + corners[2]) / 2, (corners[1] + corners[3]) / 2, steps=4)
    page.mouse.move(corners[2], corners[3], steps=4)
    page.mouse.up()
    page.wait_for_url(re.compile(r"bbox="))
    wait_for_map(page)
    west, south, east, north = map(
        float, page.get_by_label(re.compile("Bounding box")).input_value().split(",")
    )
    assert 12 < west < 16 and 53 < south < 57 and 24 < east < 28 and 62 < north < 66
    assert total(page) == 1
    assert titles(page) == ["Baltic Sea dinoflagellates, FlowCam 2021"]
    expect(page.get_by_role("link", name="Clear area")).to_be_visible()
    shoot(page, "search-filtered-area")

    page.go_back()
    page.wait_for_url(re.compile(r"/search/$"))
    assert total(page) == 2
    page.go_forward()
    page.wait_for_url(re.compile(r"bbox="))
    page.get_by_role("link", name="Clear area").click()
    page.wait_for_url(re.compile(r"/search/$"))
    assert total(page) == 2
    assert not page.errors


def test_time_and_depth_controls_and_a_bad_value(page, browse_catalogue):
    page.goto(page.base + "/search/")
    page.get_by_label("Min").fill("15")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"depth_min=15"))
    assert titles(page) == ["Mediterranean diatoms, ZooScan 2021"]
    # The URL holds the state: a shared link shows the same search.
    response = page.goto(page.base + "/search/?depth_min=abc")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("depth_min")
    expect(page.get_by_label("Min")).to_have_attribute("aria-invalid", "true")
    page.errors.clear()  # the 400 itself is logged by the browser as a failed resource


def test_image_grid_filtered_by_taxon(page, shoot, browse_catalogue):
    annotate(browse_catalogue["baltic"], "Dinoflagellata")
    annotate(browse_catalogue["med"], "Bacillariophyceae")
    page.goto(page.base + "/images/")
    wait_for_map(page)
    assert total(page) == 10  # 6 + 4; the restricted set's 2 are not there
    page.locator("#facet-taxon").get_by_role("checkbox", name=re.compile("^Dinoflagellata")).check()
    page.wait_for_url(re.compile(r"taxon=Dinoflagellata"))
    wait_for_map(page)
    assert total(page) == 6
    grid = page.locator(".image-grid li")
    expect(grid).to_have_count(6)
    first = grid.first
    expect(first.locator("img")).to_be_visible()
    assert first.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert "Depth" in first.inner_text() and "2021-06-0" in first.inner_text()
    href = first.locator("a.file-name").get_attribute("href")
    assert href.startswith(f"/sets/{browse_catalogue['baltic'].uuid}/#image-")
    shoot(page, "search-images")
    assert not page.errors


def test_search_this_view_with_the_keyboard_only(page, browse_catalogue):
    """Without a mouse: focus the map, zoom in with +, then "Search this view"."""
    page.goto(page.base + "/search/")
    wait_for_map(page)
    page.locator("#search-map").focus()
    before = page.evaluate("() => window.AquaCatSearch.map.getZoom()")
    page.keyboard.press("Equal")  # Leaflet's "+"
    page.wait_for_function(f"() => window.AquaCatSearch.map.getZoom() > {before}")
    page.wait_for_timeout(400)  # the zoom animation
    expected = page.evaluate(
        "() => window.AquaCatMap.clampBox(window.AquaCatSearch.map.getBounds())"
    )
    page.get_by_role("button", name="Search this view").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"bbox="))
    wait_for_map(page)
    box = [float(v) for v in page.get_by_label(re.compile("Bounding box")).input_value().split(",")]
    assert box == pytest.approx(expected, abs=1e-3)
    assert not page.errors
