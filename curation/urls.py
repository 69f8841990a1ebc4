from django.urls import path

from curation import label_views, review_views, role_views, views

app_name = "curation"
urlpatterns = [
    path("", views.my_sets, name="my-sets"),
    path("sets/new", views.create_set, name="new-set"),
    path("sets/<uuid:uuid>/edit", views.edit_set, name="edit-set"),
    path("sets/<uuid:uuid>/upload", views.upload, name="upload"),
    path(
        "sets/<uuid:uuid>/curators",
        role_views.members,
        {"role": "curators"},
        name="curators",
    ),
    path(
        "sets/<uuid:uuid>/reviewers",
        role_views.members,
        {"role": "reviewers"},
        name="reviewers",
    ),
    path("sets/<uuid:uuid>/labels", label_views.labels, name="labels"),
    path("sets/<uuid:uuid>/publish", views.publish, name="publish"),
    path("sets/<uuid:uuid>/new-version", views.new_version, name="new-version"),
    path("sets/<uuid:uuid>/review", review_views.review_grid, name="review"),
    path(
        "sets/<uuid:uuid>/review/confident",
        review_views.validate_confident_predictions,
        name="validate-confident",
    ),
    path("images/<int:pk>/annotate", review_views.annotate, name="annotate"),
    path("annotations/<int:pk>/crop.jpg", review_views.annotation_crop, name="annotation-crop"),
    path("deposits/<int:pk>", views.deposit_page, name="deposit"),
]
