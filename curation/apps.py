"""The curation app's config: connects its receivers to catalogue signals."""

from django.apps import AppConfig

from catalogue import signals


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self) -> None:
        from curation import receivers  # noqa: PLC0415 - imports models: only once apps are ready

        signals.version_drafted.connect(receivers.copy_annotations, dispatch_uid="copy-annotations")
