"""Stations in the API: GET /api/v1/stations/ lists every station with the sets the
caller may read the images of; GET /api/v1/stations/{code}/timeseries/ is the series
over those sets, as JSON or CSV (the parameters and columns of a set's series).
A station none of whose sets the caller may read answers 404, as one that does not
exist: no count, no set title leaks (curation/timeseries/stations.py)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue.api.problems import READ_ERRORS, problems
from catalogue.api.renderers import JSONRenderer
from catalogue.api.views import ApiMixin
from catalogue.models import ImageSet
from curation.api.label_sets import CSVRenderer
from curation.timeseries.api import PARAMETERS, series_fields, series_response
from curation.timeseries.documents import COLUMNS, station_json
from curation.timeseries.stations import readable_stations, station_for


class StationSetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    title = serializers.CharField()
    url = serializers.URLField(help_text="the set in the API")
    timeseries = serializers.URLField(help_text="the set's own series")


class StationLinksSerializer(serializers.Serializer):
    code = serializers.CharField()
    url = serializers.URLField(help_text="the station's series in the API")
    page = serializers.URLField(help_text="the station's time-series page")


class StationRowSerializer(StationLinksSerializer):
    image_sets = StationSetSerializer(many=True)


class StationListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = StationRowSerializer(many=True)


class StationSeriesSetSerializer(StationSetSerializer):
    platform = serializers.CharField(allow_blank=True)
    instrument = serializers.CharField(allow_blank=True)
    page = serializers.URLField(help_text="the set's time-series page")


StationSeriesSerializer = type(
    "StationSeriesSerializer",
    (serializers.Serializer,),
    {
        "station": StationLinksSerializer(),
        "image_sets": StationSeriesSetSerializer(many=True),
        **series_fields(),
        "__module__": __name__,
    },
)


def station_links(request, code: str) -> dict[str, str]:
    return {
        "code": code,
        "url": request.build_absolute_uri(reverse("api:station-timeseries", args=[code])),
        "page": request.build_absolute_uri(reverse("catalogue:station-timeseries", args=[code])),
    }


def set_links(request, image_set: ImageSet) -> dict[str, str]:
    return {
        "url": request.build_absolute_uri(reverse("api:image-set-detail", args=[image_set.pk])),
        "timeseries": request.build_absolute_uri(
            reverse("api:image-set-timeseries", args=[image_set.pk])
        ),
    }


class StationListView(ApiMixin, APIView):
    """Every station with a set whose images the caller may read."""

    renderer_classes = [JSONRenderer]

    @extend_schema(
        tags=["time series"],
        responses={200: StationListSerializer, **problems(*READ_ERRORS)},
        description="Stations by code, each with its sets whose images the caller may "
        "read (sets share a station through their `station` field).",
    )
    def get(self, request):
        stations = readable_stations(request.user)
        results = [
            {
                **station_links(request, station.code),
                "image_sets": [
                    {
                        "id": image_set.pk,
                        "uuid": str(image_set.uuid),
                        "title": image_set.title,
                        **set_links(request, image_set),
                    }
                    for image_set in station.sets
                ],
            }
            for station in stations
        ]
        return Response({"count": len(results), "results": results})


class StationTimeSeriesView(ApiMixin, APIView):
    """Counts of labels per time bin on the images of a station's sets."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=["time series"],
        parameters=PARAMETERS,
        responses={
            (200, "application/json"): StationSeriesSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=",".join(COLUMNS)),
            **problems(*READ_ERRORS),
        },
        description="A set's series (image-sets/{id}/timeseries/) over every set of the "
        "station whose images the caller may read, counted together; `image_sets` "
        "names them.",
    )
    def get(self, request, code: str):
        station = station_for(request.user, code)
        links = [
            {
                **set_links(request, image_set),
                "page": request.build_absolute_uri(
                    reverse("catalogue:set-timeseries", args=[image_set.uuid])
                ),
            }
            for image_set in station.sets
        ]
        return series_response(
            request,
            station.sets,
            f"timeseries-{station.code}",
            lambda series: station_json(
                series,
                station.code,
                links={
                    key: value
                    for key, value in station_links(request, station.code).items()
                    if key != "code"
                },
                set_links=links,
            ),
        )
