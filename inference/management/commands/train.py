"""manage.py train: train the FlowCam demo classifier and register it."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import ImageSet
from inference import training
from inference.models import ModelVersion
from inference.numerics.policy import queue_verification
from inference.services import register_model_version


class Command(BaseCommand):
    help = (
        "Train a linear head on frozen EfficientNet-Lite0 features on the FlowCam demo "
        "images (the authors' split), write the weights to inference/weights/, and register "
        "the model version with its held-out accuracy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model-version", dest="model_version", default="1.0.0")
        parser.add_argument("--image-set", type=int, help="the catalogued set it was trained on")
        parser.add_argument("--no-register", action="store_true", help="only write the weights")
        parser.add_argument("--weights-dir", help="where to write the weights (default: shipped)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        weights_dir = (
            Path(options["weights_dir"]) if options["weights_dir"] else training.WEIGHTS_DIR
        )
        card = training.train(options["model_version"], weights_dir)
        if not options["no_register"]:
            image_set = None
            if options["image_set"]:
                image_set = ImageSet.objects.filter(pk=options["image_set"]).first()
                if image_set is None:
                    raise CommandError(f"--image-set: no set {options['image_set']}")
            if ModelVersion.objects.filter(
                model__name=training.MODEL_NAME, version=options["model_version"]
            ).exists():
                raise CommandError(f"version {options['version']} is already registered")
            version = register_model_version(
                name=training.MODEL_NAME,
                title="FlowCam phytoplankton classifier (demo)",
                task="classification",
                licence="Apache-2.0",
                description="Six phytoplankton classes of FlowCam particle images; a linear "
                "head on frozen ImageNet EfficientNet-Lite0 features.",
                intended_use="Demonstration and first-pass sorting of FlowCam images of the six "
                "demo classes; not validated for other instruments or taxa.",
                version=options["model_version"],
                framework=ModelVersion.Framework.LINEAR_PROBE,
                training_image_set=image_set,
                **card,
            )
            card["registered"] = {"model_version": version.pk}
            queue_verification(version)  # a worker picks its numerics (inference/numerics/)
        if options["json"]:
            self.stdout.write(json.dumps(card, indent=2))
        else:
            self.stdout.write(
                f"test accuracy {card['metrics']['test_accuracy']:.3f} on "
                f"{card['metrics']['test_images']} held-out images; weights "
                f"{card['weights_path']} (sha256 {card['weights_sha256'][:12]})"
            )
