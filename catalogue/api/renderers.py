"""JSON out with orjson: the API's lists are large, and json.dumps is its slowest part."""

from __future__ import annotations

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z


def default(value):
    if isinstance(value, Promise):  # lazy translations in DRF's messages
        return str(value)
    if hasattr(value, "__str__"):
        return str(value)
    raise TypeError


def dumps(data) -> bytes:
    return orjson.dumps(data, default=default, option=OPTIONS)


class JSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return dumps(data)


class ProblemRenderer(JSONRenderer):
    """RFC 9457 problem details; chosen by the exception handler, never negotiated."""

    media_type = "application/problem+json"
