"""The pages of a set's curators and reviewers: one view, one template, a table of
what differs (who may change the list, the service that changes it, the words).
Who may see the page is Action.SEE_CURATION, as for every curator page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalogue import access, services
from catalogue import selectors as catalogue_selectors
from catalogue.access import Action
from curation.forms import CuratorsForm


@dataclass(frozen=True)
class Role:
    name: str  # the url name, and the set's many-to-many field
    title: str
    manage: Action
    change: Callable
    help_text: str
    others: str  # who holds the role already without being listed
    managers: str  # who may change the list


ROLES = {
    "curators": Role(
        name="curators",
        title="Curators",
        manage=Action.MANAGE_CURATORS,
        change=services.set_curators,
        help_text="Usernames, one per line or separated by commas. Curators may edit the "
        "set, upload to it and run models on it; they see it in every state.",
        others="the owner",
        managers="the owner and staff",
    ),
    "reviewers": Role(
        name="reviewers",
        title="Reviewers",
        manage=Action.MANAGE_REVIEWERS,
        change=services.set_reviewers,
        help_text="Usernames, one per line or separated by commas. Reviewers validate, "
        "reject and relabel the set's annotations and draw new ones; they see the set in "
        "every state but do not edit its metadata or files.",
        others="the owner and curators",
        managers="the owner, curators and staff",
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
def members(request, uuid, role: str):
    """Who holds `role` on a set; those with the role's manage action change it."""
    held = ROLES[role]
    image_set = catalogue_selectors.image_set_for(request.user, Action.SEE_CURATION, uuid=uuid)
    may_change = access.permitted(request.user, held.manage, image_set)
    current = list(getattr(image_set, held.name).order_by("username"))
    form = CuratorsForm(
        request.POST if request.method == "POST" else None,
        owner=image_set.owner,
        initial={"usernames": "\n".join(user.get_username() for user in current)},
    )
    form.fields["usernames"].label = held.title
    form.fields["usernames"].help_text = held.help_text
    if request.method == "POST":
        access.require(request.user, held.manage, image_set)
        if form.is_valid():
            held.change(image_set, form.cleaned_data["usernames"], actor=request.user)
            messages.success(request, f"{held.title} saved.")
            return redirect(f"curation:{held.name}", uuid=image_set.uuid)
    context = {
        "image_set": image_set,
        "form": form,
        "role": held,
        "members": current,
        "may_change": may_change,
    }
    return render(request, "curation/members.html", context)
