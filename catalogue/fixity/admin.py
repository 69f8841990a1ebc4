"""The fixity records in the admin: problems first, filterable by result and kind."""

from django.contrib import admin

from catalogue.fixity.models import FileCheck


@admin.register(FileCheck)
class FileCheckAdmin(admin.ModelAdmin):
    list_display = ["storage_key", "kind", "result", "checked", "first_problem", "checks"]
    list_filter = ["result", "kind"]
    search_fields = ["storage_key", "expected_sha256", "actual_sha256"]
    ordering = ["-first_problem", "checked"]
    readonly_fields = [field.name for field in FileCheck._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # rows come from the rota, which reads the store
