"""The pages' one mapping of catalogue.access's refusals to responses: a set the
user may not see is a 404, one they may not change a 403, a published set's
refusal a 409 page that says why. (The API maps them in catalogue/api/problems.py.)"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views import defaults

from catalogue.errors import AccessError, NotVisible, WrongState


class AccessErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, AccessError):
            return None
        if isinstance(exception, NotVisible):
            return defaults.page_not_found(request, Http404(exception.reason))
        if isinstance(exception, WrongState):
            return render(request, "409.html", {"reason": exception.reason}, status=409)
        return defaults.permission_denied(request, PermissionDenied(exception.reason))
