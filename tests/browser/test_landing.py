"""A set's landing page in a real browser: map, citation copy and switch, the
keyboard lightbox, and screenshots at desktop and mobile widths."""

from __future__ import annotations

import json

from catalogue import services
from catalogue.access import SYSTEM
from inference.services import start_job
from inference.services.batches import process_batch
from tests.catalogue.conftest import jpeg_with_exif, real_jpegs
from tests.inference.conftest import register_shipped


def open_landing(page, image_set):
    response = page.goto(f"{page.base}/sets/{image_set.uuid}/")
    assert response.status == 200
    return response


def open_lightbox(page, thumb):
    """Opens the lightbox by keyboard only: focus a thumbnail, Enter."""
    thumb.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#lightbox")
    dialog.wait_for(state="visible")
    return dialog


def shoot_and_close_lightbox(page, shoot, dialog, name: str, shown: int) -> None:
    """Screenshots the lightbox once its image has loaded, closes it with Escape, and
    checks focus is back on the gallery, on the thumbnail of image `shown`."""
    dialog.locator(".lb-image").evaluate(
        "img => img.complete || new Promise(done => img.addEventListener('load', done))"
    )
    shoot(page, name)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.dataset.index") == str(shown)


def test_landing_page_map_citation_and_lightbox(page, shoot, browse_catalogue):
    baltic = browse_catalogue["baltic"]
    open_landing(page, baltic)
    assert page.get_by_role("heading", level=1).inner_text() == baltic.title

    # The coverage map drew the footprint (a Leaflet vector path) and the image positions.
    page.locator("#landing-map[data-footprint=true]").wait_for()
    assert page.locator("#landing-map path.leaflet-interactive").count() >= 1
    assert page.locator("#landing-map path").count() >= 1 + baltic.images.count()

    # Copy the citation: the clipboard holds the title and the DOI, and the page says so.
    citation = page.locator("[data-citation]")
    citation.get_by_role("button", name="Copy").click()
    status = citation.locator("[data-copy-status]")
    status.get_by_text("Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert baltic.title in copied
    assert "https://doi.org/10.5072/aquacat.baltic.2021" in copied

    # Switch to BibTeX: the BibTeX panel shows, the text one hides, and Copy copies it.
    bibtex = citation.get_by_role("button", name="BibTeX")
    bibtex.click()
    assert bibtex.get_attribute("aria-pressed") == "true"
    panel = citation.locator("[data-panel=bibtex]")
    assert panel.is_visible()
    assert not citation.locator("[data-panel=text]").is_visible()
    assert "@misc{" in panel.inner_text()
    citation.get_by_role("button", name="Copy").click()
    status.get_by_text("Copied BibTeX").wait_for()
    assert page.evaluate("navigator.clipboard.readText()").startswith("@misc{")

    shoot(page, "landing")
    # Nothing is wider than a 390 px phone.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1366, "height": 900})

    # The lightbox, by keyboard only: focus a thumbnail, Enter opens it.
    thumbs = page.locator("[data-gallery] .thumb")
    names = page.locator("[data-gallery] .thumb-name").all_inner_texts()
    assert thumbs.count() == baltic.images.count() and len(names) >= 2
    dialog = open_lightbox(page, thumbs.nth(0))
    title = dialog.locator(".lb-title")
    assert title.inner_text() == names[0]
    assert dialog.locator(".lb-image").evaluate("img => img.src").endswith("/medium")
    assert "Position" in dialog.locator(".lb-facts").inner_text()
    page.keyboard.press("ArrowRight")
    assert title.inner_text() == names[1]
    assert dialog.locator(".lb-count").inner_text() == f"Image 2 of {len(names)}"
    page.keyboard.press("ArrowLeft")
    assert title.inner_text() == names[0]
    page.keyboard.press("ArrowRight")
    assert title.inner_text() == names[1]
    # Closed, focus is back on the gallery, on the thumbnail of the image last shown.
    shoot_and_close_lightbox(page, shoot, dialog, "landing-lightbox", shown=1)
    assert not page.errors


def test_landing_page_without_coverage_or_images_has_no_errors(page, browse_catalogue):
    """A set with nothing to map or show still renders cleanly (no map, no lightbox)."""

    empty = services.create_image_set(title="Empty <i>set</i>", state="published", actor=SYSTEM)
    open_landing(page, empty)
    assert page.get_by_role("heading", level=1).inner_text() == "Empty <i>set</i>"
    assert page.locator("#landing-map").count() == 0
    assert page.get_by_text("No DOI yet").first.is_visible()
    page.get_by_role("button", name="Copy").click()
    page.locator("[data-copy-status]").get_by_text("Copied").wait_for()
    assert not page.errors


def test_lightbox_draws_annotation_boxes_and_predictions(page, shoot, people, tmp_path):
    """An iFDO-annotated set with a model run over it: boxes over the image, the
    whole-image label as a caption, and predictions with their model version."""

    folder = tmp_path / "dive"
    folder.mkdir()
    for i, source in enumerate(real_jpegs(3, "Tripos")):
        jpeg_with_exif(
            source, folder / f"frame-{i}.jpg", lat=43.6, lon=7.3 + i / 10, size=(400, 300)
        )
    items = {
        "frame-0.jpg": {
            "image-annotations": [
                {
                    "shape": "rectangle",
                    "coordinates": [[80, 40, 300, 40, 300, 260, 80, 260]],
                    "labels": [{"label": "Tripos", "annotator": "Doe, Jane"}],
                },
                {"shape": "whole-image", "coordinates": [], "labels": [{"label": "phytoplankton"}]},
            ]
        }
    }
    doc = {
        "image-set-header": {
            "image-set-name": "Villefranche frames",
            "image-set-uuid": "0e6f9a1c-3f55-4d1b-9f3e-4c1b2a9d7e21",
        },
        "image-set-items": items,
    }
    (folder / "frames_ifdo.json").write_text(json.dumps(doc))
    image_set = services.create_image_set(
        title="Villefranche Tripos frames",
        owner=people["curator"],
        version="2",
        related_identifiers=[
            {
                "identifier": "10.5072/old",
                "identifier_type": "DOI",
                "relation_type": "IsNewVersionOf",
            }
        ],
        actor=SYSTEM,
    )
    assert services.ingest(image_set, [folder], actor=SYSTEM).added == 3
    services.publish_image_set(image_set, actor=SYSTEM)
    version = register_shipped()
    job = start_job(version, {"image_set": image_set.pk}, None, batch_size=8)
    for batch in job.batches.all():
        process_batch(batch.pk)

    open_landing(page, image_set)
    enrich = page.locator("section.enrichments")
    assert enrich.get_by_role("link", name="1.0.0").first.get_attribute("href") == (
        f"/models/{version.model.name}/1.0.0/"
    )
    assert page.locator("ul.related a[href='https://doi.org/10.5072/old']").count() == 1

    dialog = open_lightbox(page, page.locator("[data-gallery] .thumb").first)
    assert dialog.locator(".lb-title").inner_text() == "frame-0.jpg"
    assert dialog.locator(".lb-box.annotation").count() == 1
    assert "Tripos" in dialog.locator(".lb-box.annotation").inner_text()
    assert "phytoplankton" in dialog.locator(".lb-caption").inner_text()
    predictions = dialog.locator(".lb-predictions")
    assert predictions.get_by_role("link", name=f"{version.model.name} 1.0.0").count() == 1
    assert "%" in predictions.inner_text()
    shoot_and_close_lightbox(page, shoot, dialog, "landing-annotated-lightbox", shown=0)
    assert not page.errors
