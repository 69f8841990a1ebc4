"""OpenAPI pieces drf-spectacular cannot infer: the bearer-token security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
