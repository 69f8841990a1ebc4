"""Routes of /api/v1/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from catalogue.api import schema, views  # noqa: F401 - schema registers extensions
from curation import api as curation_api
from inference import api as inference_api

app_name = "api"

router = SimpleRouter()
router.register("image-sets", views.ImageSetViewSet, basename="image-set")
router.register("images", views.ImageViewSet, basename="image")

urlpatterns = [
    *router.urls,
    path("search/", views.SearchView.as_view(), name="search"),
    path("search/suggestions/", views.SuggestionsView.as_view(), name="suggestions"),
    path("models/", inference_api.ModelListView.as_view(), name="models"),
    path("models/<int:pk>/", inference_api.ModelCardView.as_view(), name="model"),
    path("jobs/<int:pk>/", inference_api.JobView.as_view(), name="job"),
    path("", include(inference_api.urlpatterns)),  # jobs/, cancel, retry, images/<id>/similar/
    path("", include(curation_api.urlpatterns)),  # publishing, label sets, annotations
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"^[\s\S]*$", views.not_found),  # any path, newlines included
]
