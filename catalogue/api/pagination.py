"""Cursor pagination: stable pages under concurrent writes, no counting of hidden rows."""

from __future__ import annotations

from django.conf import settings
from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    ordering = "-id"
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        self.max_page_size = settings.API_MAX_PAGE_SIZE
        self.page_size = settings.API_PAGE_SIZE
        return super().get_page_size(request)

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
