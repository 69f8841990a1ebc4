from django.apps import AppConfig


class AquacatConfig(AppConfig):
    """The project package as an app: it holds what belongs to no domain app (API tokens)."""

    name = "aquacat"
    verbose_name = "AquaCat"
    default_auto_field = "django.db.models.BigAutoField"
