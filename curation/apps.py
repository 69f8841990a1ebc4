"""The curation app's config: connects its receivers to catalogue signals and
gives the catalogue's image-level formats its annotation reader."""

from django.apps import AppConfig

from catalogue import signals


class CurationConfig(AppConfig):
    name = "curation"
    verbose_name = "Curation"

    def ready(self) -> None:
        # These import models: only once apps are ready.
        from catalogue.formats import annotations  # noqa: PLC0415
        from curation import exporting, receivers  # noqa: PLC0415

        signals.version_drafted.connect(receivers.copy_annotations, dispatch_uid="copy-annotations")
        signals.annotations_found.connect(
            receivers.store_imported_annotations, dispatch_uid="store-imported-annotations"
        )
        annotations.register(exporting.read)
