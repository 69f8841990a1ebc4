"""Routes of /api/v1/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from catalogue.api import schema, search, uploads, views  # noqa: F401 - schema registers extensions
from catalogue.api.vocabularies import VOCABULARIES, VocabularyView
from catalogue.harvest import api as harvest_api
from catalogue.recordings import api as recordings_api
from curation import api as curation_api
from inference import api as inference_api

app_name = "api"

router = SimpleRouter()
router.register("image-sets", views.ImageSetViewSet, basename="image-set")
router.register("images", views.ImageViewSet, basename="image")

urlpatterns = [
    *router.urls,
    path(
        "image-sets/<int:pk>/uploads/",
        uploads.StartUploadView.as_view(),
        name="image-set-uploads",
    ),
    path("image-sets/<int:pk>/copies/", harvest_api.CopiesView.as_view(), name="image-set-copies"),
    path(
        "image-sets/<int:pk>/copies/<int:batch>/",
        harvest_api.CopyView.as_view(),
        name="image-set-copy",
    ),
    path("uploads/<str:upload_id>/", uploads.UploadView.as_view(), name="upload"),
    path("uploads/<str:upload_id>/parts/", uploads.PartsView.as_view(), name="upload-parts"),
    path(
        "uploads/<str:upload_id>/complete/",
        uploads.CompleteView.as_view(),
        name="upload-complete",
    ),
    path("recordings/<int:pk>/", recordings_api.RecordingView.as_view(), name="recording"),
    path(
        "recordings/<int:pk>/annotations/export",
        recordings_api.RecordingExportView.as_view(),
        name="recording-export",
    ),
    path("search/", search.SearchView.as_view(), name="search"),
    path("search/suggestions/", search.SuggestionsView.as_view(), name="suggestions"),
    *[
        path(
            f"vocabularies/{name}/",
            VocabularyView.as_view(vocabulary=name),
            name=f"vocabulary-{name}",
        )
        for name in VOCABULARIES
    ],
    path("models/", inference_api.ModelsView.as_view(), name="models"),  # list, register
    path("models/<int:pk>/", inference_api.ModelCardView.as_view(), name="model"),
    path("jobs/<int:pk>/", inference_api.JobView.as_view(), name="job"),
    path("", include(inference_api.urlpatterns)),  # jobs/, cancel, retry, images/<id>/similar/
    path("", include(curation_api.urlpatterns)),  # publishing, label sets, annotations
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"^[\s\S]*$", views.not_found),  # any path, newlines included
]
