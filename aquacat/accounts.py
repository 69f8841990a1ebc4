"""Sign in, sign out, and the user's page (API tokens).

A token's secret is shown once, in the answer to the POST that made it (never
stored, never put in the session, and that answer is not cached); after that
the page lists only its prefix.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from aquacat import tokens
from curation.forms import TokenForm


def token_rows(user) -> list[dict]:
    now = timezone.now()
    rows = []
    for token in tokens.tokens_of(user):
        if token.revoked:
            state = "revoked"
        elif token.expires and token.expires <= now:
            state = "expired"
        else:
            state = "active"
        rows.append({"token": token, "state": state})
    return rows


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    form = TokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = tokens.create_token(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires=form.cleaned_data["expires"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            form = TokenForm()
    for name, field in form.fields.items():
        if name == "scopes":
            continue  # its fieldset carries the description
        ids = [f"id_{name}_helptext"] if field.help_text else []
        if form[name].errors:
            ids.append(f"id_{name}-error")
            field.widget.attrs["aria-invalid"] = "true"
        if ids:
            field.widget.attrs["aria-describedby"] = " ".join(ids)
    context = {
        "form": form,
        "rows": token_rows(request.user),
        "created": created,
        "secret": secret,
    }
    return render(request, "accounts/account.html", context)


@login_required
@require_POST
def revoke(request, pk: int):
    token = get_object_or_404(tokens.tokens_of(request.user), pk=pk)
    if token.revoked is None:
        tokens.revoke_token(token)
        messages.success(request, f"Revoked the token “{token.name}”; it no longer works.")
    return redirect("account")


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/<int:pk>/revoke", revoke, name="revoke-token"),
    path("", account, name="account"),
]
