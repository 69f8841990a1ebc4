"""Sign in, sign out, and the user's page (API tokens)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def account(request):
    return render(request, "accounts/account.html", {})


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", account, name="account"),
]
