"""The series on each path (page, JSON, CSV): the same counts, the same access rule,
and bad parameters refused with a 400 naming each one."""

from __future__ import annotations

import csv
import io

import lxml.html
import pytest
from django.test import Client

from curation.timeseries.documents import COLUMNS
from tests.timeseries.conftest import EVIL

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page_url(image_set) -> str:
    return f"/sets/{image_set.uuid}/timeseries/"


def api_url(image_set) -> str:
    return f"/api/v1/image-sets/{image_set.pk}/timeseries/"


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_json_lists_every_bin_with_counts_in_the_order_of_its_series(station):
    response = client_for().get(api_url(station), {"bin": "day", "status": "both"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["bin"], body["from"], body["to"]) == (
        "day",
        "2021-06-01T00:00:00Z",
        "2021-06-11T00:00:00Z",
    )
    assert body["station"]["instrument"] == "Observatory camera"
    assert body["image_set"]["page"].endswith(page_url(station))
    series = [(line["label"], line["status"]) for line in body["series"]]
    first = dict(zip(series, body["bins"][0]["counts"], strict=True))
    assert first[("Tripos", "validated")] == 2
    assert first[("Ciliophora", "predicted")] == 1
    assert [b["images"] for b in body["bins"]] == [2, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert body["undated_images"] == 1


def test_csv_has_the_documented_columns_and_a_row_per_bin_and_series(station):
    response = client_for().get(api_url(station), {"bin": "week", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 2 * 3  # two weeks, three labels
    by_key = {(row["bin_start"], row["label"]): row for row in rows}
    monday = by_key[("2021-05-31T00:00:00Z", "Tripos")]
    assert (monday["bin_end"], monday["count"], monday["images"]) == (
        "2021-06-07T00:00:00Z",
        "2",
        "3",
    )
    assert by_key[("2021-06-07T00:00:00Z", EVIL)]["count"] == "1"  # kept as written
    assert by_key[("2021-06-07T00:00:00Z", "Tripos")]["count"] == "0"


def test_the_page_draws_the_series_and_escapes_names(station):
    response = client_for().get(page_url(station), {"bin": "day"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in html
    page = lxml.html.fromstring(html)
    lines = page.xpath("//svg[@id='ts-chart']//g[@class='ts-line']")
    assert len(lines) == 3
    assert len(lines[0].xpath(".//circle")) == 10  # a marker per day, empty days too
    downloads = {a.text: a.get("href") for a in page.xpath("//p[@class='ts-downloads']/a")}
    csv_response = client_for().get(downloads["CSV"])
    assert csv_response.status_code == 200 and len(csv_rows(csv_response)) == 10 * 3


def test_the_landing_page_links_to_the_series(station):
    html = client_for().get(f"/sets/{station.uuid}/").content.decode()
    assert page_url(station) in html


BAD = {
    "bin": ({"bin": "fortnight"}, "Unknown bin"),
    "to": ({"from": "2021-06-05", "to": "2021-06-01"}, "later than from"),
    "from": ({"from": "<b>yesterday</b>"}, "not a date"),
    "status": ({"status": "<i>all</i>"}, "Unknown status"),
    "min_confidence": ({"min_confidence": "2"}, "from 0 to 1"),
    "label": ({"label": "Tripos"}, "Label ids"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_parameters_answer_400_naming_the_parameter(station, name):
    params, reason = BAD[name]
    response = client_for().get(api_url(station), params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert reason in response.json()["errors"][name][0]
    csv_response = client_for().get(api_url(station), {**params, "format": "csv"})
    assert csv_response.status_code == 400
    page = client_for().get(page_url(station), params)
    assert page.status_code == 400
    alert = lxml.html.fromstring(page.content.decode()).get_element_by_id("ts-errors")
    assert f"{name}:" in alert.text_content() and reason in alert.text_content()
    assert "<b>" not in page.content.decode() and "<i>all" not in page.content.decode()


def test_every_problem_at_once_and_millions_of_bins_refused(station):
    response = client_for().get(api_url(station), {"bin": "week", "status": "x", "from": "y"})
    assert set(response.json()["errors"]) == {"status", "from"}
    huge = {"bin": "hour", "from": "1800-01-01", "to": "2999-12-31"}
    response = client_for().get(api_url(station), huge)
    assert response.status_code == 400
    assert "at most 10,000" in response.json()["errors"]["bin"][0]
    assert client_for().get(page_url(station), huge).status_code == 400


def test_a_label_that_is_not_the_sets_answers_404_naming_it(station):
    response = client_for().get(api_url(station), {"label": "987654"})
    assert response.status_code == 404
    assert "987654" in response.json()["errors"]["label"][0]


@pytest.mark.parametrize("kind", ["restricted", "files_embargoed"])
def test_hidden_sets_give_no_count_on_any_path(hidden_stations, people, kind):
    image_set = hidden_stations[kind]
    for user in (None, people["other"]):
        client = client_for(user)
        for response in (
            client.get(page_url(image_set)),
            client.get(api_url(image_set)),
            client.get(api_url(image_set), {"format": "csv"}),
            client.get(api_url(image_set), {"bin": "fortnight"}),  # no hint either
        ):
            assert response.status_code == 404
            assert b"Tripos" not in response.content
    if kind == "files_embargoed":  # its metadata is public, its images are not
        landing = client_for().get(f"/sets/{image_set.uuid}/")
        assert landing.status_code == 200 and page_url(image_set) not in landing.content.decode()
    owner = client_for(people["owner"]).get(api_url(image_set))
    assert owner.status_code == 200
    assert sum(sum(b["counts"]) for b in owner.json()["bins"]) == 4
