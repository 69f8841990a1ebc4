from django.urls import include, path

from catalogue import search_pages, views
from catalogue.recordings.views import recording_file
from curation.timeseries import views as timeseries

app_name = "catalogue"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_pages.search_page, name="search"),
    path("harvest/", include("catalogue.harvest.urls")),
    path("images/", search_pages.image_search_page, name="image-search"),
    path("files/images/<int:pk>/original", views.image_file, name="image-original"),
    path("files/recordings/<int:pk>/original", recording_file, name="recording-file"),
    path("sets/<uuid:uuid>/", views.set_landing, name="set-landing"),
    path("sets/<uuid:uuid>/latest/", views.set_latest, name="set-latest"),
    path("sets/<uuid:uuid>/linkset", views.set_linkset, name="set-linkset"),
    path("sets/<uuid:uuid>/metadata.<str:fmt>", views.set_metadata, name="set-metadata"),
    path("sets/<uuid:uuid>/rocrate.zip", views.set_rocrate, name="set-rocrate"),
    path("sets/<uuid:uuid>/timeseries/", timeseries.station_page, name="set-timeseries"),
    path(
        "stations/<str:code>/timeseries/",
        timeseries.station_sets_page,
        name="station-timeseries",
    ),
    path("files/images/<int:pk>/<str:variant>", views.image_file, name="image-thumbnail"),
]
