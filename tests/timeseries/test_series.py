"""Counts per bin from the selector: bins in UTC with empty ones as zeros, validated
and predicted labels, label choice, and the range; on whichever database runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from curation.timeseries.params import SeriesError, SeriesParams, UnknownLabel, read_params
from curation.timeseries.selectors import station_series
from tests.timeseries.conftest import EVIL

pytestmark = pytest.mark.django_db


def day(d: int, month: int = 6) -> datetime:
    return datetime(2021, month, d, tzinfo=UTC)


def counts(series) -> dict[tuple[str, str], list[int]]:
    """{(label, status): [count per bin]}."""
    return {
        (key.name, key.status): [one.counts.get(key, 0) for one in series.bins]
        for key in series.keys
    }


def test_daily_validated_counts_with_empty_days_as_zeros(station, people):
    series = station_series(None, station, SeriesParams(bin="day"))
    assert [one.start for one in series.bins] == [day(d) for d in range(1, 11)]
    assert series.bins[-1].end == day(11)
    assert (series.start, series.end) == (day(1), day(11))
    assert counts(series) == {
        ("Ciliophora", "validated"): [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
        ("Tripos", "validated"): [2, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        (EVIL, "validated"): [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    }
    assert [one.images for one in series.bins] == [2, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert series.undated_images == 1


def test_predicted_labels_at_or_above_the_confidence(station):
    series = station_series(None, station, SeriesParams(bin="day", status="predicted"))
    assert counts(series) == {("Ciliophora", "predicted"): [1] + [0] * 9}
    lower = station_series(
        None, station, SeriesParams(bin="day", status="predicted", min_confidence=0.3)
    )
    assert counts(lower) == {
        ("Ciliophora", "predicted"): [1] + [0] * 9,
        ("Tripos", "predicted"): [1] + [0] * 9,
    }


def test_both_statuses_are_separate_series(station):
    series = station_series(None, station, SeriesParams(bin="month", status="both"))
    assert [one.start for one in series.bins] == [day(1)]
    assert counts(series) == {
        ("Ciliophora", "validated"): [1],
        ("Ciliophora", "predicted"): [1],
        ("Tripos", "validated"): [2],
        ("Tripos", "predicted"): [0],
        (EVIL, "validated"): [1],
        (EVIL, "predicted"): [0],
    }


def test_weeks_start_on_monday_and_hours_are_utc(station):
    weekly = station_series(None, station, SeriesParams(bin="week"))
    # 1 June 2021 was a Tuesday: its week starts on Monday 31 May.
    assert [one.start for one in weekly.bins] == [day(31, 5), day(7)]
    assert [one.images for one in weekly.bins] == [3, 1]
    hourly = station_series(None, station, SeriesParams(bin="hour"))
    assert hourly.bins[0].start == datetime(2021, 6, 1, 10, tzinfo=UTC)
    assert hourly.bins[-1].end == datetime(2021, 6, 10, 13, tzinfo=UTC)
    assert len(hourly.bins) == 9 * 24 + 3
    busy = {one.start: one.images for one in hourly.bins if one.images}
    assert busy == {
        datetime(2021, 6, 1, 10, tzinfo=UTC): 1,
        datetime(2021, 6, 1, 22, tzinfo=UTC): 1,
        datetime(2021, 6, 3, 8, tzinfo=UTC): 1,
        datetime(2021, 6, 10, 12, tzinfo=UTC): 1,
    }


def test_chosen_labels_only_and_zero_series_for_a_label_never_counted(station):
    labels = {label.name: label.pk for label in station.labelling.label_set.labels.all()}
    params = read_params({"bin": "day", "label": f"{labels['Ciliophora']},{labels[EVIL]}"})
    series = station_series(None, station, params)
    assert set(counts(series)) == {("Ciliophora", "validated"), (EVIL, "validated")}
    # Asked for, counted nowhere in the range: still a series, all zeros.
    params = read_params({"bin": "day", "label": str(labels["Ciliophora"]), "to": "2021-06-02"})
    assert counts(station_series(None, station, params)) == {("Ciliophora", "validated"): [0, 0]}


def test_a_range_given_is_widened_to_whole_bins_and_a_date_in_to_is_included(station):
    params = read_params({"bin": "day", "from": "2021-05-30T12:00:00+02:00", "to": "2021-06-03"})
    series = station_series(None, station, params)
    assert (series.start, series.end) == (day(30, 5), day(4))
    assert [one.images for one in series.bins] == [0, 0, 2, 0, 1]


def test_a_label_of_another_set_or_none_is_refused(station):
    with pytest.raises(UnknownLabel) as refused:
        station_series(None, station, read_params({"label": "999999"}))
    assert "999999" in refused.value.errors["label"][0]


def test_too_many_bins_are_refused_before_any_is_made(station):
    params = read_params({"bin": "hour", "from": "1900-01-01", "to": "2900-01-01"})
    with pytest.raises(SeriesError) as refused:
        station_series(None, station, params)
    assert list(refused.value.errors) == ["bin"]
    assert "8,765,856 bins" in refused.value.errors["bin"][0]


def test_a_set_without_dated_images_has_no_bins(station, people, tmp_path):
    station.images.update(captured_at=None)
    series = station_series(None, station, SeriesParams())
    assert series.bins == [] and series.undated_images == 5


def test_the_series_takes_the_same_queries_for_a_day_as_for_a_year(
    station, django_assert_num_queries
):
    """The span of the images, images per bin, labels per bin, the labels' names."""
    short = read_params({"bin": "hour", "from": "2021-06-01", "to": "2021-06-01"})
    with django_assert_num_queries(4):
        station_series(None, station, short)
    long = read_params({"bin": "hour", "from": "2021-01-01", "to": "2021-12-31"})
    with django_assert_num_queries(4):
        series = station_series(None, station, long)
    assert len(series.bins) == 365 * 24
