from django.urls import path

from curation import views

app_name = "curation"
urlpatterns = [
    path("", views.my_sets, name="my-sets"),
    path("sets/new", views.create_set, name="new-set"),
    path("sets/<uuid:uuid>/edit", views.edit_set, name="edit-set"),
    path("sets/<uuid:uuid>/upload", views.upload, name="upload"),
    path("sets/<uuid:uuid>/curators", views.curators, name="curators"),
    path("sets/<uuid:uuid>/publish", views.publish, name="publish"),
    path("sets/<uuid:uuid>/new-version", views.new_version, name="new-version"),
    path("deposits/<int:pk>", views.deposit_page, name="deposit"),
]
