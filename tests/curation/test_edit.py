"""Create and edit a set through the curator pages: errors per field, access, immutability."""

from __future__ import annotations

import datetime

import lxml.html
import pytest

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet
from tests.catalogue.conftest import jpeg_with_exif, real_jpegs
from tests.curation.conftest import client_for, form_data

pytestmark = pytest.mark.django_db


def soup(response):
    return lxml.html.fromstring(response.content.decode())


def by_id(page, element_id: str):
    found = page.xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def error_at(page, control_id: str) -> str:
    """The error text shown for a control, checking it is wired up for assistive technology."""
    control = by_id(page, control_id)
    assert control is not None, control_id
    assert control.get("aria-invalid") == "true", lxml.html.tostring(control)
    described = control.get("aria-describedby", "").split()
    error_id = f"{control_id}-error"
    assert error_id in described
    return by_id(page, error_id).text_content().strip()


def summary_links(page) -> dict[str, str]:
    box = by_id(page, "error-summary")
    assert box is not None and box.get("role") == "alert"
    return {a.get("href"): a.text_content().strip() for a in box.xpath(".//a")}


def has_link(page, href: str) -> bool:
    return bool(page.xpath("//a[@href=$href]", href=href))


def test_new_set_form_renders(people):
    response = client_for(people["owner"]).get("/curate/sets/new")
    assert response.status_code == 200
    page = soup(response)
    assert page.xpath('//form[@id="set-form"]//input[@name="csrfmiddlewaretoken"]')
    for name in ("title", "west", "time_start", "embargo_until", "creators-0-orcid"):
        assert by_id(page, f"id_{name}") is not None, name
        assert page.xpath("//label[@for=$f]", f=f"id_{name}"), name


def test_sign_in_is_required(db):
    response = client_for(None).get("/curate/sets/new")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_errors_are_shown_per_field_and_nothing_is_saved(people):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    response = client_for(people["owner"]).post(
        "/curate/sets/new",
        form_data(
            **{
                "creators-0-orcid": "0000-0002-1825-0098",  # wrong checksum
                "creators-1-orcid": "0000-0002-1825-0097",  # an ORCID without a name
                "access": "embargoed",  # without its date
                "south": "50",
                "north": "40",  # south of south
                "west": "10",
                "east": "12",
                "depth_min": "30",
                "depth_max": "10",
                "time_start": f"{tomorrow}T10:00",
                "time_end": f"{tomorrow}T09:00",
                "taxa-0-aphia_id": "abc",
            }
        ),
    )
    assert response.status_code == 200
    assert not ImageSet.objects.exists()
    page = soup(response)
    assert "checksum" in error_at(page, "id_creators-0-orcid")
    assert "needs a name" in error_at(page, "id_creators-1-name")
    assert "whole number" in error_at(page, "id_taxa-0-aphia_id")
    # The model's own rules about the rest are shown in the same round:
    assert "end date" in error_at(page, "id_embargo_until")
    links = summary_links(page)
    assert {"#id_creators-0-orcid", "#id_embargo_until", "#id_north"} <= set(links)
    # Validated by the service alone (the form itself is fine), with the same results:
    fixed = client_for(people["owner"]).post(
        "/curate/sets/new",
        form_data(
            access="embargoed",
            south="50",
            north="40",
            west="10",
            east="12",
            depth_min="30",
            depth_max="10",
            time_start=f"{tomorrow}T10:00",
            time_end=f"{tomorrow}T09:00",
        ),
    )
    assert fixed.status_code == 200
    assert not ImageSet.objects.exists()
    page = soup(fixed)
    assert "end date" in error_at(page, "id_embargo_until")
    assert "south" in error_at(page, "id_north").lower()
    assert error_at(page, "id_depth_max")
    assert "before the start" in error_at(page, "id_time_end")
    links = summary_links(page)
    assert {"#id_embargo_until", "#id_north", "#id_depth_max", "#id_time_end"} <= set(links)
    # What was typed stays in the form.
    assert by_id(page, "id_title").get("value") == "Copepods of the Skagerrak"
    assert by_id(page, "id_south").get("value") == "50"


def test_a_bounding_box_needs_all_four_sides_and_a_title(people):
    response = client_for(people["owner"]).post("/curate/sets/new", form_data(title="", west="10"))
    assert response.status_code == 200
    page = soup(response)
    assert error_at(page, "id_title")
    assert "west, south, east, north" in error_at(page, "id_west")
    assert not ImageSet.objects.exists()


def test_west_greater_than_east_crosses_the_antimeridian(people):
    """Not an error: the model and the search index read it as a box across 180°."""
    response = client_for(people["owner"]).post(
        "/curate/sets/new", form_data(west="170", east="-170", south="-20", north="-10")
    )
    assert response.status_code == 302
    assert ImageSet.objects.get().west == 170


def test_a_valid_set_is_created_and_redirects_to_its_editor(people):
    response = client_for(people["owner"]).post(
        "/curate/sets/new",
        form_data(
            description="Copepods imaged with a UVP6.",
            keywords="copepods, zooplankton\nSkagerrak",
            **{
                "creators-0-orcid": "https://orcid.org/0000-0002-1825-0097",
                "creators-0-affiliation": "Skagerrak Lab",
                "creators-1-name": "Skagerrak Lab",
                "taxa-0-scientific_name": "Copepoda",
                "taxa-0-aphia_id": "1080",
                "related-0-identifier": "10.1000/xyz",
                "related-0-identifier_type": "DOI",
                "related-0-relation_type": "IsDescribedBy",
                "funding-0-funder_name": "EU Horizon",
                "funding-0-award_number": "101000",
            },
            west="10",
            south="57",
            east="11",
            north="58",
        ),
    )
    image_set = ImageSet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/curate/sets/{image_set.uuid}/edit"
    assert image_set.owner == people["owner"]
    assert image_set.state == "draft"
    assert image_set.creators == [
        {"name": "Berg, Anna", "orcid": "0000-0002-1825-0097", "affiliation": "Skagerrak Lab"},
        {"name": "Skagerrak Lab"},
    ]
    assert image_set.keywords == ["copepods", "zooplankton", "Skagerrak"]
    # A known AphiaID brings its rank and lineage from the taxon table (WoRMS).
    assert image_set.taxa == [
        {
            "scientific_name": "Copepoda",
            "aphia_id": 1080,
            "rank": "Class",
            "lineage": ["Animalia", "Arthropoda", "Crustacea", "Multicrustacea"],
        }
    ]
    assert image_set.related_identifiers == [
        {"identifier": "10.1000/xyz", "identifier_type": "DOI", "relation_type": "IsDescribedBy"}
    ]
    assert image_set.funding == [{"funder_name": "EU Horizon", "award_number": "101000"}]
    assert (image_set.west, image_set.south, image_set.east, image_set.north) == (10, 57, 11, 58)
    page = soup(client_for(people["owner"]).get(response["Location"]))
    assert by_id(page, "id_creators-0-orcid").get("value") == "0000-0002-1825-0097"
    assert by_id(page, "fair-meter").tag == "meter"


def test_edit_saves_changes_and_keeps_derived_coverage(people, tmp_path):

    image_set = services.create_image_set(title="Derived", owner=people["owner"], actor=SYSTEM)
    sources = real_jpegs(2)
    files = [
        jpeg_with_exif(p, tmp_path / p.name, lat=50 + i, lon=5 + i, depth=10 + i)
        for i, p in enumerate(sources)
    ]
    services.ingest(image_set, files, actor=SYSTEM)
    image_set.refresh_from_db()
    assert "bbox" in image_set.derived_coverage
    client = client_for(people["owner"])
    page = soup(client.get(f"/curate/sets/{image_set.uuid}/edit"))
    data = dict(by_id(page, "set-form").form_values())
    data["description"] = "Now described."
    response = client.post(f"/curate/sets/{image_set.uuid}/edit", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    image_set.refresh_from_db()
    assert image_set.description == "Now described."
    assert "bbox" in image_set.derived_coverage  # untouched coverage stays derived


@pytest.mark.parametrize(
    ("who", "status"), [("other", 404), ("curator", 200), ("staff", 200), ("owner", 200)]
)
def test_only_editors_may_edit_a_draft(people, who, status):
    image_set = services.create_image_set(
        title="Draft", owner=people["owner"], curators=[people["curator"]], actor=SYSTEM
    )
    client = client_for(people[who])
    assert client.get(f"/curate/sets/{image_set.uuid}/edit").status_code == status
    assert client.get(f"/curate/sets/{image_set.uuid}/upload").status_code == status
    client.post(f"/curate/sets/{image_set.uuid}/edit", form_data(title="Mine now"))
    image_set.refresh_from_db()
    assert (image_set.title == "Mine now") == (status == 200)


def test_a_visible_set_of_someone_else_is_forbidden(people):
    image_set = services.create_image_set(
        title="Public", owner=people["owner"], state="published", access="open", actor=SYSTEM
    )
    client = client_for(people["other"])
    assert client.get(f"/curate/sets/{image_set.uuid}/edit").status_code == 403
    assert client.post(f"/curate/sets/{image_set.uuid}/upload").status_code == 403


def test_a_published_set_is_read_only(people):
    image_set = services.create_image_set(
        title="Published", owner=people["owner"], state="published", access="open", actor=SYSTEM
    )
    client = client_for(people["owner"])
    response = client.get(f"/curate/sets/{image_set.uuid}/edit")
    assert response.status_code == 200
    page = soup(response)
    assert by_id(page, "set-form") is None
    assert "immutable" in page.xpath('//*[@class="notice"]')[0].text_content()
    response = client.post(f"/curate/sets/{image_set.uuid}/edit", form_data(title="Changed"))
    assert response.status_code == 409
    image_set.refresh_from_db()
    assert image_set.title == "Published"
    upload = client.get(f"/curate/sets/{image_set.uuid}/upload")
    assert by_id(soup(upload), "upload-form") is None


def test_my_sets_lists_what_the_user_owns_or_curates(people):
    mine = services.create_image_set(title="Mine", owner=people["owner"], actor=SYSTEM)
    curated = services.create_image_set(
        title="Curated", owner=people["other"], curators=[people["owner"]], actor=SYSTEM
    )
    services.create_image_set(
        title="Not mine", owner=people["other"], state="published", actor=SYSTEM
    )
    response = client_for(people["owner"]).get("/curate/")
    text = response.content.decode()
    assert "Mine" in text and "Curated" in text and "Not mine" not in text
    page = soup(response)
    assert has_link(page, f"/curate/sets/{mine.uuid}/edit")
    assert has_link(page, f"/curate/sets/{curated.uuid}/upload")
    assert has_link(page, f"/sets/{mine.uuid}/")
    assert has_link(page, "/curate/sets/new")
    assert by_id(page, f"score-{mine.pk}").tag == "meter"
    staff = client_for(people["staff"]).get("/curate/").content.decode()
    assert "Not mine" in staff


def test_html_in_titles_is_escaped(people):
    title = '<script>alert("x")</script><b>Bold</b>'
    image_set = services.create_image_set(
        title=title,
        owner=people["owner"],
        creators=[{"name": "<img src=x onerror=alert(1)>"}],
        actor=SYSTEM,
    )
    client = client_for(people["owner"])
    for url in ("/curate/", f"/curate/sets/{image_set.uuid}/edit",
                f"/curate/sets/{image_set.uuid}/upload"):  # fmt: skip
        text = client.get(url).content.decode()
        assert "<script>alert" not in text, url
        assert "<b>Bold</b>" not in text, url
        assert "&lt;script&gt;" in text, url
    assert "<img src=x" not in client.get(f"/curate/sets/{image_set.uuid}/edit").content.decode()
