from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "inference"
    verbose_name = "Inference"

    def ready(self) -> None:
        from catalogue import signals
        from inference import receivers

        signals.images_added.connect(receivers.embed_new_images, dispatch_uid="embed-new-images")
