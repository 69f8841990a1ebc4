"""Request bodies read as strictly as the schema states them.

DRF is lenient where the schema is not: a CharField takes 0 and makes it "0", a
BooleanField takes 0, "yes" or "off", a number field takes "5" and false, and unknown
properties are dropped silently. `StrictInput` refuses them all, every problem named
by its field at once: a string where the schema says string, a number (not a
boolean) where it says number, true or false where it says boolean (a form sends
"true" or "false"), and only the properties the serializer declares. The schema says
the last with `additionalProperties: false` (`closed_request_bodies`) for every
serializer that mixes it in, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

# Component names (drf-spectacular's: the class name without "Serializer") of the
# serializers that refuse unknown properties, and their classes.
CLOSED_COMPONENTS: dict[str, type[serializers.Serializer]] = {}
# Text no database stores (NUL) and text DRF trims to nothing, as the schema says them.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"
FORM_BOOLEANS = ("true", "false")
NUMBERS = (serializers.IntegerField, serializers.FloatField)


def component_name(cls: type) -> str:
    name = cls.__name__
    return name.removesuffix("Serializer") or name


def type_problems(field: serializers.Field, value, *, form: bool) -> list[str] | dict:
    """Why `value` is not of the JSON type `field` declares (empty when it is); inside a
    list or a dict, by item, as DRF names them (ids.0, merge.<key>.0)."""
    if value is None:
        return []  # allow_null and required are the field's own checks
    if isinstance(field, serializers.BooleanField):
        if form:
            return [] if value in FORM_BOOLEANS else ["must be true or false"]
        return [] if isinstance(value, bool) else ["must be true or false"]
    if form:
        return []  # a form's values are all text; each field reads its own
    if isinstance(field, serializers.CharField):
        return [] if isinstance(value, str) else ["must be a string"]
    if isinstance(field, NUMBERS):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if number else ["must be a number"]
    items: Iterable[tuple[Any, Any]]
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        items = enumerate(value)
    elif isinstance(field, serializers.DictField) and isinstance(value, Mapping):
        items = value.items()
    else:
        return []
    found = {key: type_problems(field.child, item, form=form) for key, item in items}
    return {key: problems for key, problems in found.items() if problems} or []


# Mixed into an input serializer (before the DRF base class) to read it strictly. No
# docstring: drf-spectacular would give it to every request schema without one.
class StrictInput(serializers.Serializer):
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        CLOSED_COMPONENTS[component_name(cls)] = cls

    def to_internal_value(self, data):
        problems: dict[str, Any] = {}
        if isinstance(data, Mapping):
            form = isinstance(data, QueryDict)
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            for name in data:
                if name not in writable:
                    known = ", ".join(sorted(writable))
                    problems[str(name)] = [f"not a field of this request (one of: {known})"]
                else:
                    value = data.get(name) if form else data[name]
                    found = type_problems(writable[name], value, form=form)
                    if found:
                        problems[name] = found
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if problems and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **problems}) from error
            raise
        if problems:
            raise serializers.ValidationError(problems)
        return value


def text_pattern(field: serializers.Field) -> str | None:
    """What a CharField takes, as a pattern: never NUL, and not only blanks where it
    refuses blank text (DRF trims first, so "\u0085" is blank too)."""
    if not isinstance(field, serializers.CharField) or isinstance(field, serializers.RegexField):
        return None
    if field.allow_blank or not field.trim_whitespace:
        return NO_NUL
    return NOT_BLANK


def describe_strictly(schema: dict, field: serializers.Field) -> None:
    """What drf-spectacular leaves out of one property's schema."""
    # DRF 3.18 has a ListSerializer's min_length; the type stubs do not yet.
    least = (
        getattr(field, "min_length", None)
        if isinstance(field, serializers.ListSerializer)
        else None
    )
    if least:
        schema["minItems"] = least
    if isinstance(field, serializers.ListField | serializers.DictField):
        inner = schema.get(
            "items" if isinstance(field, serializers.ListField) else "additionalProperties"
        )
        if isinstance(inner, dict):
            describe_strictly(inner, field.child)
    pattern = text_pattern(field)
    if (
        pattern
        and schema.get("type") == "string"
        and not {"pattern", "enum", "format"} & set(schema)
    ):
        schema["pattern"] = pattern


def closed_request_bodies(result, generator, request, public):
    """drf-spectacular postprocessing for the request components of StrictInput
    serializers (plain and Patched): `additionalProperties: false`, the least length
    of a nested serializer's list, and the text its CharFields take."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        base = name.removeprefix("Patched").removesuffix("Request")
        if not name.endswith("Request") or base not in CLOSED_COMPONENTS:
            continue
        schema["additionalProperties"] = False
        fields = CLOSED_COMPONENTS[base]().fields
        for field_name, described in schema.get("properties", {}).items():
            if field_name in fields:
                describe_strictly(described, fields[field_name])
    return result
