from django.contrib import admin

from catalogue.models import Image, ImageSet, IngestBatch


@admin.register(ImageSet)
class ImageSetAdmin(admin.ModelAdmin):
    list_display = ["title", "state", "access", "licence", "instrument", "created"]
    list_filter = ["state", "access", "modality", "licence"]
    search_fields = ["title", "description", "instrument", "platform", "station"]
    filter_horizontal = ["curators"]
    readonly_fields = ["uuid", "revision", "derived_coverage", "created", "updated"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["file_name", "image_set", "media_type", "width", "height", "captured_at"]
    list_filter = ["media_type"]
    search_fields = ["file_name", "sha256"]
    raw_id_fields = ["image_set"]
    readonly_fields = ["sha256", "storage_key", "thumbnail_small", "thumbnail_medium"]


@admin.register(IngestBatch)
class IngestBatchAdmin(admin.ModelAdmin):
    list_display = ["pk", "image_set", "source", "status", "total", "added", "started"]
    list_filter = ["status"]
    raw_id_fields = ["image_set"]


from catalogue.fixity import admin as fixity_admin  # noqa: E402, F401 - registers FileCheck
from catalogue.harvest import admin as harvest_admin  # noqa: E402, F401 - registers sources
