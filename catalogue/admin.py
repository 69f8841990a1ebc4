from django.contrib import admin

from catalogue.models import ImageSet


@admin.register(ImageSet)
class ImageSetAdmin(admin.ModelAdmin):
    list_display = ["title", "created", "updated"]
    search_fields = ["title", "description"]
