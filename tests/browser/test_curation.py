"""A curator makes a set in the browser: form errors, completeness, uploads with progress."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from tests.catalogue.conftest import real_jpegs

pytestmark = [pytest.mark.services("browser"), pytest.mark.django_db(transaction=True)]


def score(page) -> int:
    return int(page.locator(".score-value").get_attribute("data-score"))


def test_create_a_set_fix_an_error_and_upload_images(page, sign_in, people, shoot, tmp_path):
    sign_in(people["curator"])
    page.goto(f"{page.base}/curate/")
    page.get_by_role("link", name="New set").click()
    expect(page.get_by_role("heading", name="New image set")).to_be_visible()

    page.get_by_role("textbox", name="Title (required)").fill("Skagerrak copepods <2024>")
    page.locator("#id_creators-0-name").fill("Berg, Anna")
    page.locator("#id_creators-0-orcid").fill("0000-0002-1825-0098")  # bad checksum
    page.get_by_role("button", name="Create set").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    orcid = page.locator("#id_creators-0-orcid")
    expect(orcid).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_creators-0-orcid-error")).to_contain_text("checksum")
    summary.get_by_role("link").first.click()
    expect(orcid).to_be_focused()
    assert not ImageSet.objects.exists()

    orcid.fill("0000-0002-1825-0097")
    page.get_by_role("button", name="Create set").click()
    expect(page.get_by_role("heading", name="Edit “Skagerrak copepods <2024>”")).to_be_visible()
    image_set = ImageSet.objects.get()
    assert image_set.creators[0]["orcid"] == "0000-0002-1825-0097"
    before = score(page)
    missing_description = page.locator('#completeness a[href="#id_description"]')
    expect(missing_description).to_have_count(1)

    # More metadata, with a row added by the script.
    page.get_by_label("Description").fill("Copepods imaged with a UVP6 in the Skagerrak.")
    page.get_by_label("Keywords").fill("copepods, zooplankton")
    page.get_by_role("button", name="Add creator").click()
    new_name = page.locator("#id_creators-2-name")
    expect(new_name).to_be_focused()
    new_name.fill("Skagerrak Lab")
    page.locator("#id_instrument").fill("UVP6")
    page.locator("#id_platform").fill("RV Skagerrak")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    after = score(page)
    assert after > before
    expect(missing_description).to_have_count(0)
    image_set.refresh_from_db()
    assert [c["name"] for c in image_set.creators] == ["Berg, Anna", "Skagerrak Lab"]
    shoot(page, "curate-edit")

    # Upload: real JPEGs and a fake one through the file input, one more by a drop.
    page.get_by_role("link", name="Upload images").click()
    jpegs = real_jpegs(5)
    bad = tmp_path / "holiday-photo.jpg"
    bad.write_text("<!doctype html><html><body>not an image</body></html>")
    dropped = base64.b64encode(jpegs[4].read_bytes()).decode()
    page.evaluate(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.jpg", { type: "image/jpeg" }));
            const zone = document.getElementById("dropzone");
            const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
            zone.dispatchEvent(new DragEvent("dragover", init));
            zone.dispatchEvent(new DragEvent("drop", init));
        }""",
        dropped,
    )
    page.get_by_label("Choose files to upload").set_input_files([*map(str, jpegs[:4]), str(bad)])

    form = page.locator("#upload-form")
    rows = page.locator("#queue tbody tr")
    try:
        expect(form).to_have_attribute("data-done", "6", timeout=60_000)
    except AssertionError as error:  # say which file is stuck, and where
        states = [rows.nth(i).inner_text() for i in range(rows.count())]
        raise AssertionError(f"uploads not all done: {states}") from error
    expect(rows).to_have_count(6)
    for index in range(6):
        row = rows.nth(index)
        assert row.get_attribute("data-state") in {"done", "rejected"}
        bar = row.locator("progress")
        assert bar.evaluate("b => b.value === b.max && b.max > 0")
    expect(page.locator("#queue tr", has_text="holiday-photo.jpg")).to_have_attribute(
        "data-state", "rejected"
    )
    report = page.locator("#report")
    expect(report.locator("[data-count=added]")).to_have_text("5")
    expect(report.locator("[data-count=rejected]")).to_have_text("1")
    rejected = report.locator("table.rejected tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td").first).to_have_text("holiday-photo.jpg")
    assert rejected.locator("td").nth(1).inner_text().strip()
    expect(page.locator("#queue-status")).to_contain_text("All 6 files done")
    shoot(page, "curate-upload-report")

    assert image_set.images.count() == 5
    assert "dropped.jpg" in set(image_set.images.values_list("file_name", flat=True))
    report.get_by_role("link", name="View the set").click()
    expect(page.get_by_role("heading", name="Skagerrak copepods <2024>")).to_be_visible()

    # The list of sets shows it with its count and score.
    page.goto(f"{page.base}/curate/")
    card = page.locator(".set-row", has_text="Skagerrak copepods <2024>")
    expect(card).to_contain_text("5 images")
    expect(card.locator("meter")).to_have_attribute("value", str(after))
    assert page.errors == []


def test_a_published_set_shows_read_only(page, sign_in, people, shoot):

    image_set = services.create_image_set(
        title="Published copepods", owner=people["curator"], state="published", actor=SYSTEM
    )
    sign_in(people["curator"])
    page.goto(f"{page.base}/curate/sets/{image_set.uuid}/edit")
    expect(page.locator(".notice")).to_contain_text("immutable")
    expect(page.locator("#set-form")).to_have_count(0)
    assert page.errors == []
