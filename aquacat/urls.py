"""URL routes of AquaCat."""

from django.contrib import admin
from django.urls import include, path

from aquacat import accounts, views

urlpatterns = [
    path("health", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("accounts/", include(accounts.urlpatterns)),
    # Provider sign-in (/accounts/oidc/<id>/login/) after ours: sign-in and out stay ours.
    path("accounts/", include("aquacat.signin.urls")),
    path("curate/", include("curation.urls")),
    path("api/v1/", include("catalogue.api.urls")),
    path("oai", include("catalogue.oai.urls")),
    path("", include("inference.urls")),
    path("", include("catalogue.urls")),
]

# An error under /api/ is a problem (application/problem+json), as every other API error.
handler500 = "catalogue.api.problems.server_error"
