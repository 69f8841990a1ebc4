"""The curation API: publishing and deposits, label sets, annotations and their
review, a set's reviewers. `urlpatterns` is included under /api/v1/."""

from curation.api.urls import urlpatterns

__all__ = ["urlpatterns"]
