"""Widgets and input helpers of the set form: the datetime-local input, the text input
with NVS terms, and the keyword splitter."""

from __future__ import annotations

import re

from django import forms
from django.utils.html import format_html, format_html_join

from catalogue.vocabularies import nvs

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__({"step": "1", **(attrs or {})}, format=DATETIME_FORMAT)


def split_keywords(text: str) -> list[str]:
    seen: list[str] = []
    for part in re.split(r"[\n;,]", text or ""):
        word = part.strip()
        if word and word not in seen:
            seen.append(word)
    return seen


class TermInput(forms.TextInput):
    """A text input with a <datalist> of the NVS terms its field takes: browsers offer
    them while one types, and any other text stays allowed (older sets have free text)."""

    def __init__(self, kind: nvs.Kind, attrs: dict | None = None):
        self.kind = kind
        self.list_id = f"{kind.label_field}-terms"
        super().__init__(
            {
                "list": self.list_id,
                "autocomplete": "off",
                "data-term-uri": f"id_{kind.uri_field}",
                **(attrs or {}),
            }
        )

    def render(self, name, value, attrs=None, renderer=None):
        options = format_html_join(
            "",
            '<option value="{}" data-uri="{}">{}</option>',
            ((t.label, t.uri, t.identifier) for t in nvs.terms(*self.kind.collections)),
        )
        field = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="{}">{}</datalist>', field, self.list_id, options)
