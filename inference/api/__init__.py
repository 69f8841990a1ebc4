"""API of the inference app: model cards, jobs (start, list, progress, cancel,
retry) and "more like this" for an image.

Routed under /api/v1/ by catalogue.api.urls (the routes at the bottom are
included there); errors are problem details like the rest of the API. A job
exists only for its user and staff (404 otherwise); starting, cancelling and
retrying need a signed-in caller and, with a token, the "write" scope.
"""

from django.urls import path

from inference.api import similar_upload
from inference.api.cards import ModelCardView
from inference.api.jobs import JobCancelView, JobListView, JobRetryView, JobView
from inference.api.registration import ModelsView
from inference.api.similar import SimilarImagesView

__all__ = ["JobView", "ModelCardView", "ModelsView", "urlpatterns"]

# Included under /api/v1/ by catalogue.api.urls (names in its "api" namespace).
urlpatterns = [
    path("jobs/", JobListView.as_view(), name="jobs"),
    path("jobs/<int:pk>/cancel/", JobCancelView.as_view(), name="job-cancel"),
    path("jobs/<int:pk>/retry/", JobRetryView.as_view(), name="job-retry"),
    path("images/<int:pk>/similar/", SimilarImagesView.as_view(), name="image-similar"),
    *similar_upload.urlpatterns,  # POST images/similar/: more like an uploaded image
]
