"""The inference app's config: connects its receivers to catalogue signals."""

from django.apps import AppConfig

from catalogue import signals


class InferenceConfig(AppConfig):
    name = "inference"
    verbose_name = "Inference"

    def ready(self) -> None:
        from inference import receivers  # noqa: PLC0415 - imports models: only once apps are ready
        from inference.ann import engine  # noqa: PLC0415 - the same

        signals.images_added.connect(receivers.embed_new_images, dispatch_uid="embed-new-images")
        signals.image_documents_written.connect(
            engine.follow_image_documents, dispatch_uid="similarity-vectors-follow"
        )
