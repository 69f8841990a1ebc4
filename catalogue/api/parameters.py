"""Whole-number query parameters with a range: declared in the schema with their
limits, and read strictly (digits only), so what the schema allows is what the view
takes and anything else is a 400 naming the parameter."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions

DIGITS = re.compile(r"[0-9]{1,18}")


def bounded_integer(
    name: str, lowest: int, highest: int | None = None, *, default: int, description: str = ""
) -> OpenApiParameter:
    schema: dict = {"type": "integer", "minimum": lowest, "default": default}
    if highest is not None:
        schema["maximum"] = highest
    return OpenApiParameter(name, schema, description=description)


def read_integer(params, name: str, lowest: int, highest: int | None, *, default: int) -> int:
    """The parameter's value, or `default` when absent; Python's int() would also take
    " 5", "+5", "5_0" and other scripts' digits, which the schema does not allow."""
    given = params.get(name)
    if given is None:
        return default
    if not DIGITS.fullmatch(given):
        raise exceptions.ValidationError({name: ["Must be a whole number."]})
    value = int(given)
    if value < lowest or (highest is not None and value > highest):
        limits = f"between {lowest} and {highest}" if highest is not None else f"{lowest} or more"
        raise exceptions.ValidationError({name: [f"Must be {limits}."]})
    return value
