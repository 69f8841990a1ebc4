"""A set's JSON metadata fields (creators, keywords, taxa, related identifiers,
funding, polygon) as the API takes them: DRF reads them as any JSON, so their
shapes are stated here for the schema. The model's clean() still checks what a
schema cannot (ORCID and ROR check digits, WoRMS names, closed rings)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from curation.forms import IDENTIFIER_TYPES, RELATION_TYPES

# No database stores NUL in text (PostgreSQL's jsonb refuses it outright).
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"


def array_of(items: dict) -> dict:
    return {"type": "array", "items": items}


def record(required: tuple[str, ...], **properties: dict) -> dict:
    return {"type": "object", "required": list(required), "properties": properties}


TEXT = {"type": "string", "pattern": NO_NUL}
CREATORS = array_of(
    {
        **record(
            ("name",),
            name={"type": "string", "pattern": NOT_BLANK, "maxLength": 300},
            orcid={
                **TEXT,
                "maxLength": 100,
                "description": "ORCID iD, bare or as https://orcid.org/ URL",
            },
            affiliation={**TEXT, "maxLength": 300},
            ror={**TEXT, "maxLength": 100, "description": "ROR identifier of the affiliation"},
        ),
        "additionalProperties": False,
    }
)
KEYWORDS = array_of(TEXT)
TAXA = array_of(
    {
        **record(
            ("scientific_name",),
            scientific_name={"type": "string", "pattern": NOT_BLANK, "maxLength": 300},
            aphia_id={
                "type": "integer",
                "minimum": 1,
                "maximum": 2**31 - 1,
                "nullable": True,
                "description": "WoRMS AphiaID",
            },
            rank={**TEXT, "maxLength": 100, "description": "filled from WoRMS when known"},
            lineage={
                **array_of({**TEXT, "maxLength": 300}),
                "description": "names from the kingdom down; filled from WoRMS when known",
            },
        ),
        "additionalProperties": False,
    }
)
RELATED_IDENTIFIERS = array_of(
    {
        **record(
            ("identifier", "identifier_type", "relation_type"),
            identifier={"type": "string", "pattern": NOT_BLANK, "maxLength": 500},
            identifier_type={"type": "string", "enum": IDENTIFIER_TYPES},
            relation_type={"type": "string", "enum": RELATION_TYPES},
            resource_type={**TEXT, "maxLength": 100, "description": "DataCite resourceTypeGeneral"},
        ),
        "additionalProperties": False,
    }
)
FUNDING = array_of(
    {
        **record(
            ("funder_name",),
            funder_name={"type": "string", "pattern": NOT_BLANK, "maxLength": 300},
            funder_identifier={
                **TEXT,
                "maxLength": 300,
                "description": "ROR or Crossref Funder ID",
            },
            award_number={**TEXT, "maxLength": 100},
            award_title={**TEXT, "maxLength": 300},
            award_uri={**TEXT, "maxLength": 500},
        ),
        "additionalProperties": False,
    }
)
POLYGON = {
    "type": "object",
    "nullable": True,
    "additionalProperties": False,
    "description": "GeoJSON Polygon of closed rings, WGS84",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"type": "string", "enum": ["Polygon"]},
        "coordinates": {
            **array_of(
                {
                    **array_of({**array_of({"type": "number"}), "minItems": 2, "maxItems": 3}),
                    "minItems": 4,
                    "description": "a closed ring: its last position is its first",
                }
            ),
            "minItems": 1,
        },
    },
}


def json_field(schema: dict, **kwargs) -> serializers.JSONField:
    """A JSONField the schema describes as `schema` (DRF copies fields by their class
    and arguments, so the description goes on a class of its own)."""
    described = type("DescribedJSONField", (serializers.JSONField,), {})
    return extend_schema_field(schema)(described)(**kwargs)


def value_problems(value, schema: dict) -> list[str]:
    """What is wrong with `value` against a property of these shapes (text, whole
    numbers in a range, lists of text)."""
    if value is None and schema.get("nullable"):
        return []
    if schema.get("type") == "integer":
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or not schema["minimum"] <= value <= schema["maximum"]:
            return [f"must be a whole number from {schema['minimum']} to {schema['maximum']}"]
        return []
    if schema.get("type") == "array":
        if not isinstance(value, list):
            return ["must be a list"]
        return [
            f"item {index}: {problem}"
            for index, item in enumerate(value)
            for problem in value_problems(item, schema["items"])
        ]
    return text_problems(value, schema)


def text_problems(value, schema: dict) -> list[str]:
    if not isinstance(value, str):
        return ["must be a string"]
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"one of: {', '.join(schema['enum'])}")
    if "\x00" in value:
        problems.append("contains a NUL character")
    elif schema.get("pattern") == NOT_BLANK and not value.strip():
        problems.append("may not be blank")
    if len(value) > schema.get("maxLength", len(value)):
        problems.append(f"at most {schema['maxLength']} characters")
    return problems


def keyword_list(value) -> list[str]:
    """Keywords: a list of text, every problem named by its place."""
    if not isinstance(value, list):
        raise serializers.ValidationError("must be a list of strings")
    problems = [
        f"item {index}: {problem}"
        for index, keyword in enumerate(value)
        for problem in text_problems(keyword, KEYWORDS["items"])
    ]
    if problems:
        raise serializers.ValidationError(problems)
    return value


def list_of_records(value, shape: dict) -> list[dict]:
    """For the lists the model stores as given (taxa, related identifiers, funding):
    each item an object of `shape`'s fields, every problem named by its place, so
    nothing is stored that the exports and the API's answers cannot write."""
    if not isinstance(value, list):
        raise serializers.ValidationError("must be a list of objects")
    item_shape = shape["items"]
    fields = item_shape["properties"]
    problems = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            problems.append(f"not an object: item {index}")
            continue
        for name in item_shape["required"]:
            if name not in item:
                problems.append(f"item {index}: {name} is required")
        for name, given in item.items():
            if name not in fields:
                problems.append(
                    f"item {index}: {name} is not a field (one of: {', '.join(fields)})"
                )
                continue
            problems += [f"item {index}: {name} {p}" for p in value_problems(given, fields[name])]
    if problems:
        raise serializers.ValidationError(problems)
    return value


def is_position(value) -> bool:
    return (
        isinstance(value, list)
        and 2 <= len(value) <= 3
        and all(isinstance(n, int | float) and not isinstance(n, bool) for n in value)
    )


def polygon_shape(value):
    """The shape POLYGON states (members, rings of four positions or more, positions of
    two or three numbers); whether it is a closed ring in WGS84 is the model's check."""
    if value is None:
        return value
    if not isinstance(value, dict):
        raise serializers.ValidationError("must be a GeoJSON Polygon object")
    problems = [
        f"{name} is not a member of a Polygon"
        for name in sorted(set(value) - {"type", "coordinates"})
    ]
    rings = value.get("coordinates")
    if not isinstance(rings, list) or not rings:
        problems.append("coordinates must be a list of rings")
    else:
        for index, ring in enumerate(rings):
            if not isinstance(ring, list) or len(ring) < 4 or not all(map(is_position, ring)):
                problems.append(f"ring {index}: four positions or more, each [lon, lat(, z)]")
    if problems:
        raise serializers.ValidationError(problems)
    return value
