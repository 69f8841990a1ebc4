"""The time-series pages of a set and of a station (its sets): a form, the chart,
totals per line, and links to the same series as CSV and JSON."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalogue import access
from catalogue.errors import NotVisible
from catalogue.models import ImageSet
from curation.timeseries import stations
from curation.timeseries.bins import BINS, MAX_BINS
from curation.timeseries.params import DEFAULT_MIN_CONFIDENCE, SeriesError, read_params
from curation.timeseries.plot import chart
from curation.timeseries.selectors import readable_station, station_labels, station_series

FORM_FIELDS = ("bin", "from", "to", "status", "min_confidence")


@require_safe
def station_page(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """One set's series."""
    try:
        image_set = readable_station(request.user, uuid=uuid)
    except NotVisible as error:
        raise Http404(str(error)) from error
    api = reverse("api:image-set-timeseries", kwargs={"pk": image_set.pk})
    return _page(request, [image_set], api, {"image_set": image_set})


@require_safe
def station_sets_page(request: HttpRequest, code: str) -> HttpResponse:
    """A station's series, over its sets the caller may read."""
    try:
        station = stations.station_for(request.user, code)
    except NotVisible as error:
        raise Http404(str(error)) from error
    api = reverse("api:station-timeseries", kwargs={"code": station.code})
    return _page(request, station.sets, api, {"station": station})


def _page(request: HttpRequest, sets: list[ImageSet], api: str, subject: dict) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    series = None
    try:
        params = read_params(request.GET)
        series = station_series(request.user, sets, params)
    except SeriesError as error:
        errors = error.errors
    form = {name: request.GET.get(name, "") for name in FORM_FIELDS}
    chosen = {str(pk) for value in request.GET.getlist("label") for pk in value.split(",")}
    context = {
        **subject,
        "form": form,
        "bins": BINS,
        "max_bins": MAX_BINS,
        "default_min_confidence": DEFAULT_MIN_CONFIDENCE,
        "labels": [(label, str(label.pk) in chosen) for label in station_labels(sets)],
        "errors": errors,
        "series": series,
        "chart": chart(series) if series else None,
        "totals": [
            (key, total)
            for key, total in sorted(
                series.totals().items(), key=lambda item: (-item[1], item[0].name)
            )
        ]
        if series
        else [],
        "downloads": _downloads(api, series.params.query()) if series else {},
    }
    response = render(request, "curation/timeseries.html", context, status=400 if errors else 200)
    if not all(access.files_public(image_set) for image_set in sets):
        response["Cache-Control"] = "private, max-age=300"
    if "station" in subject or "Cache-Control" in response:
        # A station's sets differ from reader to reader, even when these are public.
        response["Vary"] = "Cookie, Authorization"
    return response


def _downloads(api: str, query: dict[str, str]) -> dict[str, str]:
    return {
        "csv": f"{api}?{urlencode({**query, 'format': 'csv'})}",
        "json": f"{api}?{urlencode({**query, 'format': 'json'})}",
    }
