"""The time-series page of a station (a set): a form, the chart, totals per line,
and links to the same series as CSV and JSON."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalogue import access
from catalogue.errors import NotVisible
from curation.timeseries.bins import BINS, MAX_BINS
from curation.timeseries.params import DEFAULT_MIN_CONFIDENCE, SeriesError, read_params
from curation.timeseries.plot import chart
from curation.timeseries.selectors import readable_station, station_labels, station_series

FORM_FIELDS = ("bin", "from", "to", "status", "min_confidence")


@require_safe
def station_page(request: HttpRequest, uuid: UUID) -> HttpResponse:
    try:
        image_set = readable_station(request.user, uuid=uuid)
    except NotVisible as error:
        raise Http404(str(error)) from error
    errors: dict[str, list[str]] = {}
    series = None
    try:
        params = read_params(request.GET)
        series = station_series(request.user, image_set, params)
    except SeriesError as error:
        errors = error.errors
    form = {name: request.GET.get(name, "") for name in FORM_FIELDS}
    chosen = {str(pk) for value in request.GET.getlist("label") for pk in value.split(",")}
    context = {
        "image_set": image_set,
        "form": form,
        "bins": BINS,
        "max_bins": MAX_BINS,
        "default_min_confidence": DEFAULT_MIN_CONFIDENCE,
        "labels": [(label, str(label.pk) in chosen) for label in station_labels(image_set)],
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
        "downloads": _downloads(image_set, series.params.query()) if series else {},
    }
    response = render(request, "curation/timeseries.html", context, status=400 if errors else 200)
    if not access.files_public(image_set):
        response["Cache-Control"] = "private, max-age=300"
        response["Vary"] = "Cookie, Authorization"
    return response


def _downloads(image_set, query: dict[str, str]) -> dict[str, str]:
    api = reverse("api:image-set-timeseries", kwargs={"pk": image_set.pk})
    return {
        "csv": f"{api}?{urlencode({**query, 'format': 'csv'})}",
        "json": f"{api}?{urlencode({**query, 'format': 'json'})}",
    }
