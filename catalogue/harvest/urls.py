from django.urls import path

from catalogue.harvest import views

app_name = "harvest"
urlpatterns = [
    path("", views.source_list, name="sources"),
    path("<str:name>/", views.source_detail, name="source"),
    path("<str:name>/sets/<uuid:uuid>/copy/", views.copy_files, name="copy-files"),
]
