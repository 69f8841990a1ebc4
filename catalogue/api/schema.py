"""OpenAPI pieces drf-spectacular cannot infer: the bearer-token security scheme, and
which operations a visitor may call without signing in."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import permissions


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "aquacat.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An AquaCat API token (`manage.py api_token create`), scoped "
            "read, write and/or publish.",
        }


class AutoSchema(SpectacularAutoSchema):
    """Security per operation: a read every permission of the view lets visitors make
    (`anonymous_reads`) lists `{}` beside the schemes, so credentials are optional."""

    def get_auth(self):
        auths = super().get_auth()
        if self.method in permissions.SAFE_METHODS and {} not in auths:
            checks = self.view.get_permissions()
            if checks and all(getattr(check, "anonymous_reads", False) for check in checks):
                auths.append({})
        return auths


NO_NUL = r"^[^\x00]*$"


def text_parameters_without_nul(result, generator, request, public):
    """Every view refuses a NUL character in a query parameter (catalogue/api/views.py,
    ApiMixin: no database stores one), so free-text parameters say so in the schema."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                schema = parameter.get("schema", {})
                for text in (schema, schema.get("items", {})):
                    plain = not ({"enum", "format", "pattern"} & text.keys())
                    if text.get("type") == "string" and plain:
                        text["pattern"] = NO_NUL
    return result


def needs_body(schema: dict) -> bool:
    """A schema with required fields, or raw bytes (an upload's chunk, whose media type
    is what the view reads first)."""
    return bool(schema.get("required")) or schema.get("format") == "binary"


def bodies_with_required_fields_are_required(result, generator, request, public):
    """A request body whose schema requires a field, or that is raw bytes, cannot be
    left out (drf-spectacular marks only serializer bodies so; a multipart upload's
    `file` and a chunk are written by hand)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body and any(
                needs_body(media.get("schema", {})) for media in body["content"].values()
            ):
                body["required"] = True
    return result
