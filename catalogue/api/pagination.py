"""Cursor pagination: stable pages under concurrent writes, no counting of hidden rows."""

from __future__ import annotations

from django.conf import settings
from rest_framework import pagination

from catalogue.api.parameters import read_integer


class CursorPagination(pagination.CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"
    # The largest page a client may ask for; None: settings.API_MAX_PAGE_SIZE.
    largest_page_size: int | None = None

    def largest(self) -> int:
        return self.largest_page_size or settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        """The default page, or the size asked for; a size out of range is a 400
        naming `page_size` (DRF would silently answer another size)."""
        self.max_page_size = self.largest()
        self.page_size = settings.API_PAGE_SIZE
        return read_integer(
            request.query_params,
            self.page_size_query_param,
            1,
            self.max_page_size,
            default=self.page_size,
        )

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.largest(),
                    "default": settings.API_PAGE_SIZE,
                }
        return parameters

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
