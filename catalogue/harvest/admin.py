"""Harvest sources in the admin: staff add, change and remove them through the services;
runs are read-only."""

from __future__ import annotations

from django.contrib import admin

from catalogue.harvest import services
from catalogue.models import HarvestRun, HarvestSource


class RunInline(admin.TabularInline):
    model = HarvestRun
    fields = ("started", "finished", "status", "full", "new", "updated", "deleted", "skipped")
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "base_url", "set_spec", "enabled", "last_datestamp"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["metadata_prefix", "last_datestamp", "created"]
    inlines = [RunInline]

    def save_model(self, request, obj, form, change):
        if change:
            services.change_source(obj, actor=request.user)
        else:
            fields = {name: getattr(obj, name) for name in services.SOURCE_FIELDS}
            added = services.add_source(
                actor=request.user, name=obj.name, base_url=fields.pop("base_url"), **fields
            )
            obj.pk = added.pk

    def delete_model(self, request, obj):
        services.remove_source(obj, actor=request.user)


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    list_display = [
        *("pk", "source", "status", "full", "started"),
        *("new", "updated", "deleted", "images"),
    ]
    list_filter = ["status", "source"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
