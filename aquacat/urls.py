"""URL routes of AquaCat."""

from django.contrib import admin
from django.urls import include, path

from aquacat import accounts, views

urlpatterns = [
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts.urlpatterns)),
    path("curate/", include("curation.urls")),
    path("api/v1/", include("catalogue.api.urls")),
    path("oai", include("catalogue.oai.urls")),
    path("", include("inference.urls")),
    path("", include("catalogue.urls")),
]
