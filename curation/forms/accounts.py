"""Forms of a curator's account and roles: API tokens and the curators of a set."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from aquacat.models import Scope

# --- API tokens ------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “laptop upload script”.")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
        help_text="Read: see what you may see. Write: change your drafts and upload. "
        "Publish: publish sets.",
    )
    expires = forms.DateField(
        required=False,
        label="Expires on (optional)",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The token stops working at the start of this day (UTC).",
    )

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_expires(self):
        day = self.cleaned_data.get("expires")
        if day is None:
            return None
        moment = datetime.combine(day, time.min, tzinfo=UTC)
        if moment <= timezone.now():
            raise ValidationError("Choose a day after today.")
        return moment


# --- curators of a set -------------------------------------------------------------------


class CuratorsForm(forms.Form):
    usernames = forms.CharField(
        required=False,
        label="Curators",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Usernames, one per line or separated by commas. Curators may edit the "
        "set, upload to it and run models on it; they see it in every state.",
    )

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_usernames(self) -> list:

        names = sorted({n for n in re.split(r"[\s,]+", self.cleaned_data["usernames"]) if n})
        users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names)}
        unknown = [name for name in names if name not in users]
        if unknown:
            raise ValidationError(f"No such user: {', '.join(unknown)}.")
        if self.owner is not None and self.owner.get_username() in users:
            raise ValidationError(f"{self.owner.get_username()} owns the set already.")
        return list(users.values())
