"""GET /api/v1/image-sets/{pk}/timeseries/: a set's series as JSON or, with
`format=csv` (or `Accept: text/csv`), as CSV (columns: curation/timeseries/documents.py).
A station's series, over its sets: curation/timeseries/station_api.py.

Bad parameters answer 400 naming each; a label id that is not one of the set's labels
answers 404 naming `label`, as every reference that finds nothing does; a set the
caller may not read the images of answers 404.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.problems import READ_ERRORS, Missing, problems
from catalogue.api.renderers import JSONRenderer
from catalogue.api.views import ApiMixin
from catalogue.models import ImageSet
from curation.api.label_sets import CSVRenderer
from curation.timeseries.bins import BINS, MAX_BINS
from curation.timeseries.documents import COLUMNS, series_csv, series_json
from curation.timeseries.params import (
    CONFIDENCE,
    LABEL_LIST,
    MOMENT,
    STATUSES,
    SeriesError,
    UnknownLabel,
    read_params,
)
from curation.timeseries.selectors import Series, readable_station, station_series


def pattern(grammar: str) -> dict:
    """A string of `grammar`, or empty (absent)."""
    return {"type": "string", "pattern": rf"^(?:{grammar})?$"}


PARAMETERS = [
    OpenApiParameter(
        "bin",
        OpenApiTypes.STR,
        enum=["", *BINS],  # empty: absent, as for every parameter here
        description="the bins' length, in UTC (a week starts on Monday); default (or empty) day",
    ),
    OpenApiParameter(
        "from",
        pattern(MOMENT),
        description="a date or an ISO 8601 date-time (UTC without an offset), widened to "
        "its bin's start; default: the first dated image. At most "
        f"{MAX_BINS:,} bins from `from` to `to`.",
    ),
    OpenApiParameter(
        "to",
        pattern(MOMENT),
        description="later than `from`: a date-time (excluded) or a date (that whole day "
        "included), widened to its bin's end; default: the last dated image",
    ),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=["", *STATUSES],
        description="validated labels (default, or empty), predicted ones at or above "
        "`min_confidence`, or both as separate series",
    ),
    OpenApiParameter(
        "min_confidence", pattern(CONFIDENCE), description="0 to 1, default 0.5 (predicted)"
    ),
    OpenApiParameter(
        "label",
        pattern(LABEL_LIST),
        description="label ids of the sets' label sets, comma-separated; default: every "
        "label counted in the range (harvested labels of the same name or AphiaID too)",
    ),
    OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="default json"),
]


class SetLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    title = serializers.CharField()
    url = serializers.URLField(help_text="the set in the API")
    page = serializers.URLField(help_text="the time-series page")


class StationSerializer(serializers.Serializer):
    platform = serializers.CharField(allow_blank=True)
    platform_uri = serializers.CharField(allow_blank=True)
    instrument = serializers.CharField(allow_blank=True)
    instrument_uri = serializers.CharField(allow_blank=True)
    research_infrastructure = serializers.CharField(allow_blank=True)
    code = serializers.CharField(allow_blank=True, help_text="the set's station code")
    url = serializers.URLField(allow_null=True, help_text="the station's series, over its sets")


# Built from a dict, as below: `label` is also an attribute of every DRF field.
SeriesLineSerializer = type(
    "SeriesLineSerializer",
    (serializers.Serializer,),
    {
        "label_id": serializers.IntegerField(
            allow_null=True, help_text="null: a label a harvested image's source validated"
        ),
        "label": serializers.CharField(),
        "aphia_id": serializers.IntegerField(allow_null=True),
        "status": serializers.ChoiceField(choices=["validated", "predicted"]),
        "__module__": __name__,
    },
)


class BinSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    images = serializers.IntegerField(help_text="images captured in the bin")
    counts = serializers.ListField(
        child=serializers.IntegerField(), help_text="one per entry of `series`, in its order"
    )


def series_fields() -> dict[str, serializers.Field]:
    """The fields of a series, after what it covers (a set, or a station's sets)."""
    return {
        "bin": serializers.ChoiceField(choices=list(BINS)),
        "from": serializers.DateTimeField(allow_null=True, help_text="the first bin's start"),
        "to": serializers.DateTimeField(allow_null=True, help_text="the last bin's end"),
        "status": serializers.ChoiceField(choices=list(STATUSES)),
        "min_confidence": serializers.FloatField(allow_null=True),
        "series": SeriesLineSerializer(many=True),
        "bins": BinSerializer(many=True),
        "undated_images": serializers.IntegerField(help_text="images without a capture time"),
    }


# `from` is a keyword in Python and a field name here.
TimeSeriesSerializer = type(
    "TimeSeriesSerializer",
    (serializers.Serializer,),
    {
        "image_set": SetLinkSerializer(),
        "station": StationSerializer(),
        **series_fields(),
        "__module__": __name__,
    },
)


class TimeSeriesView(ApiMixin, APIView):
    """Counts of labels per time bin on a station's images."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=["time series"],
        parameters=PARAMETERS,
        responses={
            (200, "application/json"): TimeSeriesSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=",".join(COLUMNS)),
            **problems(*READ_ERRORS),
        },
        description="Counts of validated and/or predicted labels per time bin (UTC; empty "
        "bins as zeros) on the images of a set the caller may read; `images` counts the "
        "images captured in each bin. CSV: one row per bin and series.",
    )
    def get(self, request, pk: int):
        image_set = readable_station(request.user, pk=pk)
        station_url = None
        if image_set.station:
            station_url = request.build_absolute_uri(
                reverse("api:station-timeseries", args=[image_set.station])
            )
        links = {
            "url": request.build_absolute_uri(reverse("api:image-set-detail", args=[pk])),
            "page": request.build_absolute_uri(
                reverse("catalogue:set-timeseries", args=[image_set.uuid])
            ),
        }
        return series_response(
            request,
            image_set,
            f"timeseries-{image_set.pk}",
            lambda series: series_json(series, links=links, station_url=station_url),
        )


def series_response(
    request,
    sets: ImageSet | Sequence[ImageSet],
    file_stem: str,
    document: Callable[[Series], dict],
) -> Response:
    """The series of `sets` the request asks for, as CSV or as `document` makes it."""
    try:
        series = station_series(request.user, sets, read_params(request.query_params))
    except UnknownLabel as error:
        raise Missing("label", error.errors["label"][0]) from error
    except SeriesError as error:
        raise exceptions.ValidationError(error.errors) from error
    if request.accepted_renderer.format == "csv":
        name = f"{file_stem}-{series.params.bin}.csv"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(series_csv(series), headers=headers)
    return Response(document(series))
