"""The review pages: who reaches the review grid and the annotation editor, a
published set shown read-only, the grid's filters, the crops (access, region,
EXIF orientation, conditional GET), and the counts on the set's curator page."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image as Pillow

from catalogue import services
from catalogue.access import SYSTEM
from curation import crops
from curation.models import Shape, Status
from curation.services import annotations, review
from tests.curation.conftest import by_id, client_for, soup, text
from tests.curation.review_data import set_to_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def to_review(people):
    return set_to_review(
        owner=people["owner"],
        curators=[people["curator"]],
        reviewers=[people["reviewer"]],
        predictions=6,
    )


def grid_url(image_set) -> str:
    return f"/curate/sets/{image_set.uuid}/review"


def editor_url(image) -> str:
    return f"/curate/images/{image.pk}/annotate"


def config_of(response, element_id: str) -> dict:
    return json.loads(by_id(soup(response), element_id).text_content())


@pytest.mark.parametrize(
    ("who", "expected"),
    [("other", 404), ("reviewer", 200), ("curator", 200), ("owner", 200), ("staff", 200)],
)
def test_who_reaches_the_grid_and_the_editor_of_a_draft(people, to_review, who, expected):
    image_set, _, _ = to_review
    client = client_for(people[who])
    grid = client.get(grid_url(image_set))
    editor = client.get(editor_url(image_set.images.first()))
    assert (grid.status_code, editor.status_code) == (expected, expected)
    if expected == 200:
        assert config_of(grid, "review-config")["readonly"] is False
        assert config_of(editor, "annotate-config")["readonly"] is False
        assert "Read-only" not in grid.content.decode()


def test_a_visitor_is_sent_to_sign_in(people, to_review):
    image_set, _, _ = to_review
    for url in (grid_url(image_set), editor_url(image_set.images.first())):
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_published_set_is_shown_read_only_and_refused_to_others(people, to_review):
    image_set, _, _ = to_review
    services.publish_image_set(image_set, actor=SYSTEM)
    image = image_set.images.first()
    reviewer = client_for(people["reviewer"])
    grid = reviewer.get(grid_url(image_set))
    editor = reviewer.get(editor_url(image))
    assert grid.status_code == editor.status_code == 200
    assert config_of(grid, "review-config")["readonly"] is True
    assert config_of(editor, "annotate-config")["readonly"] is True
    assert "published" in text(soup(grid).xpath('//*[@class="notice"]')[0])
    assert "new version" in text(soup(editor).xpath('//*[@class="notice"]')[0])
    assert by_id(soup(grid), "review-tools") is None  # nothing to act with
    # The set is public now, but reviewing it is still not everybody's.
    assert client_for(people["other"]).get(grid_url(image_set)).status_code == 403
    assert client_for(people["other"]).get(editor_url(image)).status_code == 403


def test_the_grid_lists_labels_and_counts_and_passes_its_filters_on(people, to_review):
    image_set, named, made = to_review
    review.review(actor=people["reviewer"], ids=[made[0].pk, made[1].pk], action="validate")
    query = f"?label={named['Tripos'].pk}&status=predicted&confidence_min=0.5&ordering=confidence"
    response = client_for(people["reviewer"]).get(grid_url(image_set) + query)
    page = soup(response)
    config = config_of(response, "review-config")
    assert config["query"] == {
        "image_set": str(image_set.uuid),
        "label": str(named["Tripos"].pk),
        "status": "predicted",
        "confidence_min": "0.5",
        "ordering": "confidence",
    }
    assert [label["name"] for label in config["labels"]] == ["Ciliophora", "detritus", "Tripos"]
    assert page.xpath('//datalist[@id="label-names"]/option/@value') == [
        "Ciliophora",
        "detritus",
        "Tripos",
    ]
    counts = {
        cell.get("data-status"): int(cell.text_content())
        for cell in page.xpath('//*[@id="status-counts"]//*[@data-status]')
    }
    assert counts == {"predicted": 4, "validated": 2, "dubious": 0, "rejected": 0}
    assert text(by_id(page, "validated-percent")) == "33%"
    queue = client_for(people["reviewer"]).get(grid_url(image_set) + "?changed=on")
    assert config_of(queue, "review-config")["query"]["changed"] == "true"


def test_bad_filters_are_named_and_left_out_of_the_query(people, to_review):
    image_set, _, _ = to_review
    response = client_for(people["curator"]).get(
        grid_url(image_set) + "?confidence_min=lots&confidence_max=0.2&status=shiny&label=999"
    )
    assert response.status_code == 200
    page = soup(response)
    for field in ("confidence_min", "status", "label"):
        assert text(by_id(page, f"id_{field}-error")), field
    assert config_of(response, "review-config")["query"] == {
        "image_set": str(image_set.uuid),
        "confidence_max": "0.2",
        "ordering": "-confidence",
    }
    low_above_high = client_for(people["curator"]).get(
        grid_url(image_set) + "?confidence_min=0.8&confidence_max=0.2"
    )
    assert "must not be below" in text(by_id(soup(low_above_high), "id_confidence_max-error"))


def test_the_editor_knows_the_image_and_its_neighbours(people, to_review):
    image_set, _, _ = to_review
    first, second, third = image_set.images.order_by("pk")
    response = client_for(people["reviewer"]).get(editor_url(second))
    config = config_of(response, "annotate-config")
    assert (config["image"], config["width"], config["height"]) == (
        second.pk,
        second.width,
        second.height,
    )
    assert config["src"] == f"/files/images/{second.pk}/original"
    page = soup(response)
    assert page.xpath('//a[@rel="prev"]/@href') == [editor_url(first)]
    assert page.xpath('//a[@rel="next"]/@href') == [editor_url(third)]


def test_the_set_page_counts_annotations_per_label_and_status(people, to_review):
    image_set, named, made = to_review
    review.review(actor=people["curator"], ids=[made[0].pk], action="validate")
    review.review(actor=people["curator"], ids=[made[1].pk], action="reject")
    image = image_set.images.first()
    annotations.create_annotation(
        actor=people["curator"], image=image, label=named["Ciliophora"], shape=Shape.POINT,
        coordinates=[3, 3],
    )  # fmt: skip
    page = soup(client_for(people["curator"]).get(f"/curate/sets/{image_set.uuid}/edit"))
    section = by_id(page, "annotations")
    rows = {
        text(row.xpath("./th")[0]): [text(cell) for cell in row.xpath("./td")]
        for row in section.xpath(".//tr[th[@scope='row']]")
    }
    # Columns: predicted, validated, dubious, rejected, all.
    assert rows == {
        "Ciliophora": ["0", "1", "0", "0", "1"],
        "Tripos": ["4", "1", "0", "1", "6"],
        "All labels": ["4", "2", "0", "1", "7"],
    }
    assert "28%" in text(section)  # 2 of 7 validated, rounded down
    review_link = f"/curate/sets/{image_set.uuid}/review"
    assert section.xpath("//a[@href=$h]", h=review_link)
    tripos = named["Tripos"].pk
    assert section.xpath("//a[@href=$h]", h=f"{review_link}?label={tripos}&status=rejected")


# --- crops ---------------------------------------------------------------------------------


def crop_url(annotation) -> str:
    return f"/curate/annotations/{annotation.pk}/crop.jpg"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 404), ("other", 404), ("reviewer", 200), ("curator", 200), ("staff", 200)],
)
def test_who_may_see_a_crop_of_a_draft(people, to_review, who, expected):
    _, _, made = to_review
    response = client_for(people[who]).get(crop_url(made[0]))
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-cache"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_published_open_sets_crops_are_public(people, to_review):
    image_set, _, made = to_review
    services.publish_image_set(image_set, actor=SYSTEM)
    response = client_for(None).get(crop_url(made[0]))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    assert client_for(None).get("/curate/annotations/999999/crop.jpg").status_code == 404


def test_a_crop_is_the_region_with_a_margin_and_changes_with_its_annotation(people, to_review):
    _, _, made = to_review
    annotation = made[0]
    image = annotation.image
    client = client_for(people["reviewer"])
    first = client.get(crop_url(annotation))
    x0, y0, x1, y1 = crops.region(Shape.BOX, annotation.coordinates, image.width, image.height)
    with Pillow.open(io.BytesIO(first.content)) as picture:
        expected = (x1 - x0, y1 - y0)
        scale = min(1.0, crops.CROP_SIZE / max(expected))
        assert abs(picture.width - expected[0] * scale) <= 1
        assert abs(picture.height - expected[1] * scale) <= 1
    again = client.get(crop_url(annotation), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    annotations.change_annotation(
        actor=people["reviewer"], annotation=annotation, shape=Shape.BOX, coordinates=[0, 0, 8, 8]
    )
    changed = client.get(crop_url(annotation), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_regions_grow_by_the_margin_and_stay_inside_the_image():
    # A point becomes a small square around it, cut at the image's edge.
    assert crops.region(Shape.POINT, [5, 50], 100, 100) == (0, 34, 21, 66)
    # A box grows by 15 % of its larger side on every side.
    assert crops.region(Shape.BOX, [40, 40, 60, 80], 100, 100) == (34, 34, 66, 86)
    assert crops.region(Shape.WHOLE, [], 100, 60) == (0, 0, 100, 60)
    polygon = [[10, 10], [90, 10], [50, 95]]
    assert crops.region(Shape.POLYGON, polygon, 100, 100) == (0, 0, 100, 100)


def test_a_crop_is_upright_as_the_thumbnails_are(people, tmp_path):
    """A JPEG whose EXIF says "turn 90° clockwise": red on the left as stored, on top
    as shown; the whole-image crop is tall and red on top."""
    stored = Pillow.new("RGB", (200, 100), "blue")
    stored.paste(Pillow.new("RGB", (100, 100), "red"), (0, 0))
    exif = Pillow.Exif()
    exif[0x0112] = 6
    path = tmp_path / "turned.jpg"
    stored.save(path, "JPEG", exif=exif.tobytes(), quality=95)
    image_set, named, _ = set_to_review(owner=people["owner"], images=1)
    services.ingest(image_set, [path], actor=SYSTEM)
    image = image_set.images.get(file_name__endswith="turned.jpg")
    whole = annotations.create_annotation(actor=people["owner"], image=image, label=named["Tripos"])
    assert whole.status == Status.VALIDATED
    response = client_for(people["owner"]).get(crop_url(whole))
    with Pillow.open(io.BytesIO(response.content)) as picture:
        assert picture.width < picture.height
        top = picture.convert("RGB").getpixel((picture.width // 2, picture.height // 4))
        bottom = picture.convert("RGB").getpixel((picture.width // 2, 3 * picture.height // 4))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom
