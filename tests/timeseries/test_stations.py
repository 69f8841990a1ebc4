"""Stations made of several sets: the series over a station's sets counts only the
sets each caller may read (page, JSON, CSV, the list of stations); labels of
harvested images count as validated ones; a bad station code is refused by name."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import lxml.html
import pytest
from django.test import Client
from rest_framework.test import APIClient

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.harvest import aquacat_run
from catalogue.harvest import services as harvest
from catalogue.models import HarvestRun, ImageSet
from curation.timeseries.documents import COLUMNS
from tests.timeseries.conftest import station_set

pytestmark = [pytest.mark.django_db, pytest.mark.services("postgres")]

CODE = "EMSO-OBSEA"
PEER = "http://127.0.0.1:9"
SERIES = f"/api/v1/stations/{CODE}/timeseries/"
PAGE = f"/stations/{CODE}/timeseries/"


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def two_sets(people, tmp_path) -> dict[str, ImageSet]:
    """The station's open set and its restricted one, the same labels in each
    (conftest.label_station: Tripos twice on 1 June 2021, validated)."""
    return {
        "open": station_set(people, tmp_path, "open", access="open", station=CODE),
        "restricted": station_set(
            people, tmp_path, "restricted", access="restricted", station=CODE
        ),
    }


def harvested_set(station: str = CODE) -> ImageSet:
    """A set harvested from another AquaCat through the harvest's own mapping and
    writes (the peer's answers as catalogue/harvest/aquacat.py reads them): three
    dated images whose validated labels the peer lists by image."""
    source = harvest.add_source(actor=SYSTEM, name="peer", kind="aquacat", base_url=PEER)
    run = HarvestRun.objects.create(source=source)
    uuid = "0b6a3f4e-9c1d-4b7a-8e2f-5d6c7b8a9e01"
    rows = [
        image_row(1, "2021-06-01T09:00:00Z"),
        image_row(2, "2021-06-01T18:30:00Z"),
        image_row(3, "2021-06-03T12:00:00Z"),
    ]
    remote = aquacat_run.Remote(
        row={"id": 7, "uuid": uuid, "access": "open", "updated": "2024-03-01T00:00:00Z"},
        detail={"uuid": uuid, "title": "Harvested camera", "access": "open", "station": station},
        labels={1: ["Tripos", "Ciliophora"], 2: ["Tripos"], 3: ["Tripos"]},
        images=rows,
    )
    found = aquacat_run.map_set(run, source, remote, {})
    assert found is not None, run.errors
    aquacat_run.write_chunk(run, source, [found], harvest.Batch.of(source, [uuid]))
    return ImageSet.objects.get(harvest_source=source)


def image_row(number: int, captured_at: str) -> dict:
    return {
        "id": number,
        "file_name": f"{number}.png",
        "sha256": f"{number:064x}",
        "size": 10,
        "media_type": "image/png",
        "width": 4,
        "height": 3,
        "frames": 1,
        "captured_at": captured_at,
        "file_url": f"{PEER}/files/images/{number}/original",
    }


def lines(body: dict) -> dict[tuple, list[int]]:
    """{(label_id is None, label, status): [count per bin]}, the lines of labels of the
    same name (one per set's label set) added up."""
    found: dict[tuple, list[int]] = {}
    for i, line in enumerate(body["series"]):
        key = (line["label_id"] is None, line["label"], line["status"])
        counts = [one["counts"][i] for one in body["bins"]]
        found[key] = [a + b for a, b in zip(found.get(key, [0] * len(counts)), counts, strict=True)]
    return found


def test_a_station_counts_only_the_sets_each_caller_may_read(two_sets, people):
    anonymous = client_for().get(SERIES, {"bin": "month"})
    assert anonymous.status_code == 200, anonymous.content
    body = anonymous.json()
    assert [s["id"] for s in body["image_sets"]] == [two_sets["open"].pk]
    assert body["station"]["page"].endswith(PAGE)
    assert lines(body)[(False, "Tripos", "validated")] == [2]
    assert body["bins"][0]["images"] == 4

    owner = client_for(people["owner"]).get(SERIES, {"bin": "month"}).json()
    assert {s["id"] for s in owner["image_sets"]} == {s.pk for s in two_sets.values()}
    assert lines(owner)[(False, "Tripos", "validated")] == [4]
    # Each set has a label set of its own: a line per label, by id.
    assert len({line["label_id"] for line in owner["series"] if line["label"] == "Tripos"}) == 2
    assert owner["bins"][0]["images"] == 8
    # Someone signed in without a role on the restricted set counts as anonymous.
    other = client_for(people["other"]).get(SERIES, {"bin": "month"}).json()
    assert lines(other) == lines(body)


def test_the_station_csv_adds_up_the_readable_sets(two_sets, people):
    query = {"bin": "week", "format": "csv"}
    for client, tripos in ((client_for(), 2), (client_for(people["owner"]), 4)):
        response = client.get(SERIES, query)
        assert response.status_code == 200
        assert f"timeseries-{CODE}-week.csv" in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert tuple(rows[0]) == COLUMNS
        first_week = [
            int(row["count"])
            for row in rows
            if row["bin_start"].startswith("2021-05-31") and row["label"] == "Tripos"
        ]
        assert sum(first_week) == tripos


def test_a_station_of_restricted_sets_only_is_not_found_by_others(people, tmp_path):
    station_set(people, tmp_path, "closed", access="restricted", station="HIDDEN-1")
    for path in ("/api/v1/stations/HIDDEN-1/timeseries/", "/stations/HIDDEN-1/timeseries/"):
        assert client_for().get(path).status_code == 404
        assert client_for(people["other"]).get(path).status_code == 404
        assert client_for(people["owner"]).get(path).status_code == 200
    assert client_for().get("/api/v1/stations/").json() == {"count": 0, "results": []}
    listed = client_for(people["owner"]).get("/api/v1/stations/").json()
    assert [row["code"] for row in listed["results"]] == ["HIDDEN-1"]


def test_the_station_list_names_each_station_with_its_readable_sets(two_sets, people):
    anonymous = client_for().get("/api/v1/stations/").json()
    assert anonymous["count"] == 1
    [row] = anonymous["results"]
    assert row["code"] == CODE and row["url"].endswith(SERIES)
    assert [s["title"] for s in row["image_sets"]] == ["Fixed camera open"]
    owner = client_for(people["owner"]).get("/api/v1/stations/").json()
    assert len(owner["results"][0]["image_sets"]) == 2


def test_the_set_and_image_lists_filter_by_station(two_sets, people, tmp_path):
    elsewhere = station_set(people, tmp_path, "azores", access="open", station="EMSO-Azores")
    anonymous, owner = APIClient(), APIClient()
    owner.force_authenticate(people["owner"])

    sets = anonymous.get("/api/v1/image-sets/", {"station": CODE}).json()
    assert [row["title"] for row in sets["results"]] == ["Fixed camera open"]
    mine = owner.get("/api/v1/image-sets/", {"station": CODE}).json()
    assert {row["title"] for row in mine["results"]} == {
        "Fixed camera open",
        "Fixed camera restricted",
    }
    both = owner.get("/api/v1/image-sets/", {"station": f"{CODE},EMSO-Azores"}).json()
    assert len(both["results"]) == 3

    images = anonymous.get("/api/v1/images/", {"station": "EMSO-Azores"}).json()
    assert len(images["results"]) == elsewhere.images.count() > 0
    assert {row["image_set"] for row in images["results"]} == {elsewhere.pk}
    at_code = len(owner.get("/api/v1/images/", {"station": CODE}).json()["results"])
    assert at_code == sum(two_sets[name].images.count() for name in ("open", "restricted"))
    assert anonymous.get("/api/v1/images/", {"station": "NOWHERE"}).json()["results"] == []


def test_the_set_pages_link_the_station_and_the_station_page_lists_its_sets(two_sets, people):
    landing = client_for().get(f"/sets/{two_sets['open'].uuid}/").content.decode()
    assert f'href="{PAGE}"' in landing
    set_series = client_for().get(f"/api/v1/image-sets/{two_sets['open'].pk}/timeseries/")
    assert set_series.json()["station"]["code"] == CODE
    assert set_series.json()["station"]["url"].endswith(SERIES)
    page = client_for().get(PAGE, {"bin": "month"})
    assert page.status_code == 200
    assert page["Vary"] == "Cookie, Authorization"
    html = lxml.html.fromstring(page.content)
    assert [a.text for a in html.xpath("//ul[@class='ts-sets']/li/a[1]")] == ["Fixed camera open"]
    owner_page = lxml.html.fromstring(client_for(people["owner"]).get(PAGE).content)
    assert len(owner_page.xpath("//ul[@class='ts-sets']/li")) == 2
    assert "private" in client_for(people["owner"]).get(PAGE)["Cache-Control"]


def test_labels_of_harvested_images_count_as_validated(two_sets):
    external = harvested_set()
    assert external.station == CODE  # the peer's station code came with the set
    alone = client_for().get(f"/api/v1/image-sets/{external.pk}/timeseries/", {"bin": "day"})
    assert alone.status_code == 200, alone.content
    assert lines(alone.json()) == {
        (True, "Ciliophora", "validated"): [1, 0, 0],
        (True, "Tripos", "validated"): [2, 0, 1],
    }
    body = client_for().get(SERIES, {"bin": "day", "status": "both"}).json()
    assert {s["id"] for s in body["image_sets"]} == {two_sets["open"].pk, external.pk}
    counted = lines(body)
    assert counted[(True, "Tripos", "validated")][:3] == [2, 0, 1]
    assert counted[(False, "Tripos", "validated")][:3] == [2, 0, 0]
    assert (True, "Tripos", "predicted") not in counted  # the source's are validated
    assert [one["images"] for one in body["bins"]][:3] == [4, 0, 2]
    page = client_for().get(PAGE, {"bin": "day"}).content.decode()
    assert "(at a harvested image's source)" in page
    predicted = client_for().get(SERIES, {"bin": "day", "status": "predicted"}).json()
    assert not any(line["label_id"] is None for line in predicted["series"])

    # A local label chosen brings the harvested label of the same name, not the others.
    tripos = two_sets["open"].labelling.label_set.labels.get(name="Tripos")
    chosen = client_for().get(SERIES, {"bin": "day", "label": str(tripos.pk), "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(chosen.content.decode())))
    assert {(row["label_id"], row["label"]) for row in rows} == {
        (str(tripos.pk), "Tripos"),
        ("", "Tripos"),
    }
    first_day = [row for row in rows if row["bin_start"] == "2021-06-01T00:00:00Z"]
    assert sorted(row["count"] for row in first_day) == ["2", "2"]


def test_a_peer_station_that_is_no_code_is_left_out():
    assert harvested_set(station="not a code/..").station == ""


def test_bad_station_codes_are_refused_naming_the_field(people):
    draft = services.create_image_set(title="Draft camera", owner=people["owner"], actor=SYSTEM)
    api = APIClient()
    api.force_authenticate(people["owner"])
    for bad in ("EMSO OBSEA", "../etc", "-OBSEA", "X" * 65, "ÉMSO"):
        answer = api.patch(
            f"/api/v1/image-sets/{draft.pk}/", {"station": bad, "west": 500}, format="json"
        )
        assert answer.status_code == 400, (bad, answer.content)
        errors = answer.json()["errors"]
        assert set(errors) == {"station", "west"}, (bad, errors)
    draft.refresh_from_db()
    assert draft.station == "" and draft.west is None  # nothing half-applied
    good = api.patch(f"/api/v1/image-sets/{draft.pk}/", {"station": "OBSEA_2.cam"}, format="json")
    assert good.status_code == 200, good.content
    assert good.json()["station"] == "OBSEA_2.cam"

    client = client_for(people["owner"])
    edit = f"/curate/sets/{draft.uuid}/edit"
    data = dict(
        lxml.html.fromstring(client.get(edit).content).get_element_by_id("set-form").form_values()
    )
    assert data["station"] == "OBSEA_2.cam"
    refused = client.post(edit, {**data, "station": "EMSO OBSEA"})
    assert refused.status_code in (200, 400)
    form = lxml.html.fromstring(refused.content)
    field = form.get_element_by_id("id_station")
    assert field.get("aria-invalid") == "true"
    draft.refresh_from_db()
    assert draft.station == "OBSEA_2.cam"
    assert client.post(edit, {**data, "station": "EMSO-OBSEA"}).status_code == 302
    draft.refresh_from_db()
    assert draft.station == "EMSO-OBSEA"


def test_the_series_bins_are_the_same_across_a_station(two_sets):
    """Both sets' images fall into the same bins: the station's range is theirs."""
    body = client_for().get(SERIES, {"bin": "day"}).json()
    assert body["from"] == datetime(2021, 6, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    assert len(body["bins"]) == 10


def test_a_station_counts_one_version_of_each_set(two_sets, people):
    """A new version copies its set's images and station: counted once, as the newest
    published version."""
    before = lines(client_for().get(SERIES, {"bin": "month"}).json())
    draft = services.new_version(two_sets["open"], actor=people["owner"])
    assert draft.station == CODE
    owner = client_for(people["owner"]).get(SERIES, {"bin": "month"}).json()
    assert draft.pk not in {s["id"] for s in owner["image_sets"]}  # the published one
    services.publish_image_set(draft, actor=SYSTEM)
    after = client_for().get(SERIES, {"bin": "month"}).json()
    assert [s["id"] for s in after["image_sets"]] == [draft.pk]
    assert lines(after) == before
