from django.urls import path

from inference import views

app_name = "inference"
urlpatterns = [
    path("models/", views.model_list, name="model-list"),
    path("models/<slug:model>/<str:version>/", views.card, name="model-card"),
    path("models/<slug:model>/<str:version>/card.json", views.card_json, name="model-card-json"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("images/<int:pk>/similar/", views.similar_page, name="similar-images"),
    path("sets/<uuid:uuid>/analyse", views.analyse_set, name="analyse-set"),
    path("jobs/<int:pk>/cancel", views.job_action, {"action": "cancel"}, name="job-cancel"),
    path("jobs/<int:pk>/retry", views.job_action, {"action": "retry"}, name="job-retry"),
]
