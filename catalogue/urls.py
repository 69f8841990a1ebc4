from django.urls import path

from catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.home, name="home"),
    path("files/images/<int:pk>/original", views.image_file, name="image-original"),
    path("files/images/<int:pk>/<str:variant>", views.image_file, name="image-thumbnail"),
]
