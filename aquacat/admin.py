"""The admin's view of what sign-in records (allauth's own admin lists linked accounts)."""

from django.contrib import admin

from aquacat.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "orcid")
    search_fields = ("user__username", "user__email", "orcid")
    raw_id_fields = ("user",)
