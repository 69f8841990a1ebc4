"""Reading the parameters: exactly the grammar the API's schema states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.http import QueryDict

from curation.timeseries import bins
from curation.timeseries.params import SeriesError, SeriesParams, read_params


def test_defaults_and_empty_fields_as_a_form_sends_them():
    assert read_params(QueryDict("bin=day&from=&to=&status=validated&min_confidence=")) == (
        SeriesParams()
    )


def test_dates_datetimes_and_offsets():
    params = read_params({"from": "2021-06-01T10:30+02:00", "to": "2021-06-02"})
    assert params.start == datetime(2021, 6, 1, 8, 30, tzinfo=UTC)
    assert params.end == datetime(2021, 6, 3, tzinfo=UTC)  # the whole day included
    assert read_params({"from": "2021-06-01T10:30"}).start == datetime(
        2021, 6, 1, 10, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "value",
    ["20210601", " 2021-06-01", "2021-02-30", "2021-06-01 10:00", "2021-W22", "0000-01-01"],
)
def test_other_spellings_and_days_that_do_not_exist_are_refused(value):
    with pytest.raises(SeriesError) as refused:
        read_params({"from": value})
    assert list(refused.value.errors) == ["from"]


def test_labels_repeated_or_comma_separated():
    query = QueryDict("label=3,1&label=2&label=3")
    assert read_params(query).labels == (1, 2, 3)
    with pytest.raises(SeriesError) as refused:
        read_params({"label": ",".join(str(n) for n in range(101))})
    assert list(refused.value.errors) == ["label"]


@pytest.mark.parametrize("value", ["nan", "inf", "-0.1", "1.5", "1e-3", "0.5 "])
def test_confidence_outside_0_to_1_or_other_spellings(value):
    with pytest.raises(SeriesError) as refused:
        read_params({"min_confidence": value})
    assert list(refused.value.errors) == ["min_confidence"]


def test_query_round_trips():
    params = read_params(
        {"bin": "week", "from": "2021-06-01", "status": "both", "min_confidence": "0.000001"}
    )
    assert read_params(params.query()) == params


def test_month_bins_cross_the_year_and_count_without_being_made():
    first = datetime(2020, 11, 17, 5, tzinfo=UTC)
    assert bins.floor(first, "month") == datetime(2020, 11, 1, tzinfo=UTC)
    stop = bins.ceiling(datetime(2021, 2, 1, tzinfo=UTC), "month")
    made = bins.starts(bins.floor(first, "month"), stop, "month")
    assert [m.month for m in made] == [11, 12, 1]
    assert bins.count(bins.floor(first, "month"), stop, "month") == 3
