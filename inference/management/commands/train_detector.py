"""manage.py train_detector: train the FlowCam particle detector and register it."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inference import detection_training
from inference.models import ModelVersion
from inference.services import register_model_version


class Command(BaseCommand):
    help = (
        "Train the small CenterNet detector on scenes composed from the FlowCam demo crops, "
        "measure its average precision on scenes of held-out crops, write TorchScript "
        "weights to inference/weights/, and register the model version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model-version", dest="model_version", default="1.0.0")
        parser.add_argument("--steps", type=int, default=1500)
        parser.add_argument("--no-register", action="store_true", help="only write the weights")
        parser.add_argument("--weights-dir", help="where to write the weights (default: shipped)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        weights_dir = Path(options["weights_dir"]) if options["weights_dir"] else None
        version = options["model_version"]
        if (
            not options["no_register"]
            and ModelVersion.objects.filter(
                model__name=detection_training.MODEL_NAME, version=version
            ).exists()
        ):
            raise CommandError(f"version {version} is already registered")
        card = detection_training.train(version, weights_dir, steps=options["steps"])
        if not options["no_register"]:
            registered = register_detector(version, card)
            card["registered"] = {"model_version": registered.pk}
        if options["json"]:
            self.stdout.write(json.dumps(card, indent=2))
        else:
            metrics = card["metrics"]
            self.stdout.write(
                f"AP50 {metrics['ap50']:.3f}, recall {metrics['recall']:.3f} on "
                f"{metrics['particles']} particles in {metrics['scenes']} held-out scenes; "
                f"weights {card['weights_path']} (sha256 {card['weights_sha256'][:12]})"
            )


def register_detector(version: str, card: dict) -> ModelVersion:
    return register_model_version(
        name=detection_training.MODEL_NAME,
        title="FlowCam particle detector (demo)",
        task="detection",
        licence="Apache-2.0",
        description="Finds plankton particles in FlowCam-like frames: a small CenterNet "
        "trained on scenes composed from real FlowCam crops.",
        intended_use="Demonstration and first-pass boxes on frames with several particles; "
        "boxes go to review as predicted annotations. Not validated on real multi-particle "
        "frames of other instruments.",
        version=version,
        framework=ModelVersion.Framework.TORCHSCRIPT,
        **card,
    )
