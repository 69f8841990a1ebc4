"""Routes of the curation API, included under /api/v1/ by catalogue/api/urls.py
(names in its "api" namespace)."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from curation.api import deposits, reviewers
from curation.api.annotations import AnnotationViewSet
from curation.api.label_sets import UUID_PATTERN, LabelSetViewSet
from curation.timeseries.api import TimeSeriesView
from curation.timeseries.station_api import StationListView, StationTimeSeriesView

router = SimpleRouter()
router.register("label-sets", LabelSetViewSet, basename="label-set")
router.register("annotations", AnnotationViewSet, basename="annotation")


# `export?format=` answers as the documented `export/?format=` (one path in the schema).
EXPORT_WITHOUT_SLASH = {**LabelSetViewSet.export.kwargs, "detail": True, "schema": None}
urlpatterns = [
    path("image-sets/<int:pk>/publish/", deposits.PublishView.as_view(), name="image-set-publish"),
    path(
        "image-sets/<int:pk>/versions/",
        deposits.NewVersionView.as_view(),
        name="image-set-versions",
    ),
    path(
        "image-sets/<int:pk>/reviewers/",
        reviewers.ReviewersView.as_view(),
        name="image-set-reviewers",
    ),
    path("deposits/<int:pk>/", deposits.DepositView.as_view(), name="deposit"),
    path(
        "image-sets/<int:pk>/timeseries/",
        TimeSeriesView.as_view(),
        name="image-set-timeseries",
    ),
    path("stations/", StationListView.as_view(), name="station-list"),
    path(
        "stations/<str:code>/timeseries/",
        StationTimeSeriesView.as_view(),
        name="station-timeseries",
    ),
    re_path(
        rf"^label-sets/(?P<uuid>{UUID_PATTERN})/export$",
        LabelSetViewSet.as_view({"get": "export"}, **EXPORT_WITHOUT_SLASH),
    ),
    *router.urls,
]
