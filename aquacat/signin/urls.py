"""Provider sign-in under /accounts/: the button's view first, then allauth's pages
(SOCIALACCOUNT_ONLY: the callback, the sign-up form, linked accounts; no local
sign-up, password or e-mail pages)."""

from django.urls import include, path

from aquacat.signin import views

urlpatterns = [
    path("oidc/<str:provider_id>/login/", views.login, name="openid_connect_login"),
    path("", include("allauth.urls")),
]
