"""Every API error as RFC 9457 problem details (`application/problem+json`).

DRF's exceptions, Django's 404 and permission errors, model validation errors
from services, search query errors and oversized requests all end up here, so a
client reads one shape: type, title, status, detail, instance, and `errors`
(field -> messages) when input was invalid.
"""

from __future__ import annotations

from http import HTTPStatus

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.defaults import server_error as django_server_error
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from catalogue.api.renderers import ProblemRenderer, dumps
from catalogue.errors import AccessError, Changed, FieldError, NotAllowed, NotVisible, WrongState

PROBLEM_TYPE = "about:blank"
MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the state of the resource."
    default_code = "conflict"


class Stale(Conflict):
    """A Changed refusal: `current` carries the present state of what changed."""

    default_code = "changed"

    def __init__(self, error: Changed):
        super().__init__(error.reason)
        self.current = error.current


class Missing(exceptions.NotFound):
    """A 404 for ids named in a request body: `errors` says which field held them."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.errors = {field: [reason]}

    @classmethod
    def fields(cls, errors: dict[str, list[str]]) -> Missing:
        """One 404 naming every field whose reference found nothing."""
        missing = cls(
            "", "; ".join(message for messages in errors.values() for message in messages)
        )
        missing.errors = errors
        return missing


class Unready(Conflict):
    """A 409 for a resource whose state a request needs but lacks (a set missing what
    publishing requires, a label set without labels): `errors` names each field."""

    default_code = "unready"

    def __init__(self, errors: dict[str, list[str]], reason: str = ""):
        super().__init__(reason or "The resource is not ready for this; see errors.")
        self.errors = errors


def field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A model ValidationError as {field: [messages]} (the whole object's as
    non_field_errors)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if name == "__all__" else name): messages
            for name, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is larger than this server accepts."
    default_code = "too_large"


class BadQuery(exceptions.APIException):
    """A FieldError (a query parameter, a job's input, ...) as a 400 naming the field."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_query"

    def __init__(self, error: FieldError):
        super().__init__(f"{error.field}: {error.reason}")
        self.errors = {error.field: [error.reason]}


def problem(status_code: int, detail: str = "", *, instance: str = "", **extra) -> dict:
    body = {
        "type": PROBLEM_TYPE,
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail or HTTPStatus(status_code).description,
        "instance": instance,
    }
    body.update(extra)
    return body


def problem_response(status_code: int, detail: str = "", *, request=None, headers=None, **extra):
    """A plain Django response (for code outside DRF views: catch-all 404)."""
    body = problem(status_code, detail, instance=request.path if request else "", **extra)
    response = HttpResponse(dumps(body), status=status_code, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def flatten(errors) -> dict[str, list[str]]:
    """DRF's nested error detail -> {field: [messages]} (nested fields dotted)."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list | tuple):
            for index, inner in enumerate(value):
                if isinstance(inner, dict | list):
                    walk(f"{prefix}.{index}" if prefix else str(index), inner)
                else:
                    out.setdefault(prefix or "non_field_errors", []).append(str(inner))
        else:
            out.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", errors)
    return out


def access_exception(exc: AccessError) -> exceptions.APIException:
    """catalogue.access's refusals, each as its status (the one place the API maps them)."""
    if isinstance(exc, NotVisible):
        return exceptions.NotFound(exc.reason)
    if isinstance(exc, Changed):
        return Stale(exc)
    if isinstance(exc, WrongState):
        return Conflict(exc.reason)
    if isinstance(exc, NotAllowed):
        return exceptions.PermissionDenied(exc.reason)
    return exceptions.PermissionDenied(exc.reason)


def as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(field_errors(exc))
    if isinstance(exc, FieldError):
        return BadQuery(exc)
    if isinstance(exc, AccessError):
        return access_exception(exc)
    if isinstance(exc, RequestDataTooBig | TooManyFilesSent | TooManyFieldsSent):
        return PayloadTooLarge(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc, context):
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling and logging
    request = context.get("request")
    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = flatten(exc.detail)
        detail = "The input is not valid; see errors."
    elif isinstance(exc, BadQuery | Missing | Unready):
        extra["errors"] = exc.errors
        detail = str(exc.detail)
    else:
        detail = str(exc.detail) if isinstance(exc, exceptions.APIException) else ""
    if isinstance(exc, Stale):
        extra["current"] = exc.current
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after"] = int(exc.wait + 0.999)
    response.data = problem(
        response.status_code, detail, instance=request.path if request else "", **extra
    )
    response.content_type = MEDIA_TYPE
    # Render as JSON whatever was negotiated (or failed to be): the view's
    # finalize_response copies the request's renderer onto the response, so both
    # get it (the schema view would otherwise write its problems in YAML).
    renderer = ProblemRenderer()
    if request is not None:
        request.accepted_renderer = renderer
        request.accepted_media_type = MEDIA_TYPE
    response.accepted_renderer = renderer
    response.accepted_media_type = MEDIA_TYPE
    response.renderer_context = {}
    return response


def server_error(request):
    """Django's handler500: a problem under /api/, Django's page everywhere else (the
    error itself is logged by Django before this answers)."""
    if request.path.startswith(API_PREFIX):
        return problem_response(500, request=request)
    return django_server_error(request)


def csrf_failure(request, reason: str = ""):
    """Django's CSRF refusal (CSRF_FAILURE_VIEW): a problem under /api/, where a
    client reads problem details, and Django's page everywhere else."""
    if request.path.startswith(API_PREFIX):
        return problem_response(403, f"CSRF Failed: {reason}", request=request)
    return django_csrf_failure(request, reason=reason)


# --- OpenAPI -------------------------------------------------------------------------


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="a URI naming the kind of problem")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(help_text="the path that was asked for")
    # DRF's metaclass moves declared fields into _declared_fields, so this does not
    # replace the Serializer.errors property, which the stubs cannot tell.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="per field, what is wrong with it (validation and query errors)",
    )
    retry_after = serializers.IntegerField(required=False, help_text="seconds, with 429")
    current = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="with a 409 for a change made meanwhile: the present state of what changed",
    )


DESCRIPTIONS = {
    400: "invalid input; `errors` names each field and why",
    401: "no valid credentials (a missing, unknown, expired or revoked token)",
    403: "signed in but not allowed (token scope, or not an editor of the set)",
    404: "no such resource, or one the caller may not see",
    405: "method not allowed",
    406: "no acceptable representation",
    409: "conflicts with the resource's state (a published set is immutable; or it changed "
    "meanwhile, and `current` holds its present state)",
    413: "the request body is too large, or carries too many files",
    415: "unsupported media type",
    429: "too many requests; retry after `Retry-After` seconds",
    503: "cannot answer now (a worker or a backend is unavailable); try again later",
}


def problems(*codes: int) -> dict:
    """`extend_schema(responses=...)` entries for these error statuses."""
    return {
        (code, MEDIA_TYPE): OpenApiResponse(ProblemSerializer, description=DESCRIPTIONS[code])
        for code in codes
    }


READ_ERRORS = (400, 401, 404, 406, 429)
WRITE_ERRORS = (400, 401, 403, 404, 406, 409, 413, 415, 429)
