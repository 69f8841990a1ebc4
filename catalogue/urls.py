from django.urls import include, path

from catalogue import search_pages, views

app_name = "catalogue"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", search_pages.search_page, name="search"),
    path("harvest/", include("catalogue.harvest.urls")),
    path("images/", search_pages.image_search_page, name="image-search"),
    path("files/images/<int:pk>/original", views.image_file, name="image-original"),
    path("sets/<uuid:uuid>/", views.set_landing, name="set-landing"),
    path("sets/<uuid:uuid>/latest/", views.set_latest, name="set-latest"),
    path("sets/<uuid:uuid>/linkset", views.set_linkset, name="set-linkset"),
    path("sets/<uuid:uuid>/metadata.<str:fmt>", views.set_metadata, name="set-metadata"),
    path("sets/<uuid:uuid>/rocrate.zip", views.set_rocrate, name="set-rocrate"),
    path("files/images/<int:pk>/<str:variant>", views.image_file, name="image-thumbnail"),
]
