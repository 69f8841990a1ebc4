"""The time-series page in Chromium: from the set's landing page to the chart, a
weekly series of both statuses for chosen labels, its CSV, a bad date, then the
series of the set's station."""

from __future__ import annotations

import csv
import io

import pytest

# Autouse: the live server's connections closed after each request (tests/browser).
from tests.browser.conftest import one_connection_per_request  # noqa: F401

pytestmark = pytest.mark.services("browser")


def test_time_series_page(page, shoot, station):
    page.goto(f"{page.base}/sets/{station.uuid}/")
    page.get_by_role("link", name="Time series of labels").click()
    page.get_by_role("heading", level=1, name="Time series of labels").wait_for()
    assert page.get_by_role("heading", level=2).inner_text().startswith("10 bins by day")
    chart = page.locator("svg#ts-chart")
    assert chart.locator("g.ts-line").count() == 3
    assert chart.locator("g.ts-line circle").count() == 30
    # The label with markup in its name is text, in the legend table and the chart.
    assert page.get_by_role("cell", name="<script>alert('x')</script> & Co").count() == 1
    shoot(page, "timeseries-daily")

    page.get_by_label("Bin", exact=True).select_option("week")
    page.get_by_label("Labels", exact=True).select_option("both")
    page.get_by_label("Predicted at or above").fill("0.2")
    page.get_by_label("Only these labels").select_option(label=["Ciliophora", "Tripos"])
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", level=2, name="2 bins by week").wait_for()
    assert chart.locator("g.ts-line").count() == 4
    assert chart.locator("g.ts-line[data-status=predicted] polyline[stroke-dasharray]").count() == 2
    totals = {
        tuple(cells): None
        for cells in page.locator("table.ts-totals tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
        )
    }
    assert ("Tripos", "validated", "2") in totals and ("Tripos", "predicted", "1") in totals
    shoot(page, "timeseries-weekly-both")

    href = page.get_by_role("link", name="CSV").get_attribute("href")
    answer = page.request.get(f"{page.base}{href}")
    assert answer.status == 200
    rows = list(csv.DictReader(io.StringIO(answer.text())))
    assert len(rows) == 2 * 4 and {row["status"] for row in rows} == {"validated", "predicted"}

    assert page.errors == []
    page.get_by_label("From", exact=True).fill("2021-02-30")
    page.get_by_role("button", name="Show").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "from:" in alert.inner_text() and "not a date" in alert.inner_text()
    assert page.get_by_label("From", exact=True).get_attribute("aria-invalid") == "true"
    shoot(page, "timeseries-bad-date")
    # The page itself answered 400, which Chromium reports; nothing else went wrong.
    assert all("status of 400" in error for error in page.errors)

    page.get_by_role("link", name="EMSO-OBSEA").click()
    page.get_by_role("heading", level=1, name="Time series of labels").wait_for()
    sets = page.get_by_role("list", name="Sets of this station").get_by_role("listitem")
    assert sets.count() == 1 and station.title in sets.inner_text()
    assert chart.locator("g.ts-line").count() == 3
    assert (
        page.get_by_role("link", name="CSV")
        .get_attribute("href")
        .startswith("/api/v1/stations/EMSO-OBSEA/timeseries/?")
    )
    shoot(page, "timeseries-station")
