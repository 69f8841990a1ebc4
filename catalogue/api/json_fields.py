"""A set's JSON metadata fields (creators, keywords, taxa, related identifiers,
funding, polygon) as the API takes them: DRF reads them as any JSON, so their
shapes are stated here for the schema. The model's clean() still checks what a
schema cannot (ORCID and ROR check digits, WoRMS names, closed rings)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

NOT_BLANK = r"\S"


def array_of(items: dict) -> dict:
    return {"type": "array", "items": items}


def record(required: tuple[str, ...], **properties: dict) -> dict:
    return {"type": "object", "required": list(required), "properties": properties}


TEXT = {"type": "string"}
CREATORS = array_of(
    record(
        ("name",),
        name={"type": "string", "pattern": NOT_BLANK},
        orcid={**TEXT, "description": "ORCID iD, bare or as https://orcid.org/ URL"},
        affiliation=TEXT,
        ror={**TEXT, "description": "ROR identifier of the affiliation"},
    )
)
KEYWORDS = array_of(TEXT)
TAXA = array_of(
    record(
        ("scientific_name",),
        scientific_name={"type": "string", "pattern": NOT_BLANK},
        aphia_id={"type": "integer", "minimum": 1, "description": "WoRMS AphiaID"},
    )
)
RECORDS = array_of({"type": "object"})
POLYGON = {
    "type": "object",
    "nullable": True,
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


def list_of_objects(value) -> list[dict]:
    """For the lists the model stores as given (related identifiers, funding): a list
    of JSON objects, each one's place named when it is not."""
    if not isinstance(value, list):
        raise serializers.ValidationError("must be a list of objects")
    wrong = [str(index) for index, item in enumerate(value) if not isinstance(item, dict)]
    if wrong:
        raise serializers.ValidationError(f"not an object: item {', '.join(wrong)}")
    return value
