"""manage.py train_segmenter: train the FlowCam particle segmenter and register it."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inference import segmentation_training
from inference.models import ModelVersion, Task
from inference.services import register_model_version


class Command(BaseCommand):
    help = (
        "Train the small U-Net segmenter on scenes composed from the FlowCam demo crops, "
        "measure it on scenes of held-out crops, write TorchScript weights to "
        "inference/weights/, and register the model version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model-version", dest="model_version", default="1.0.0")
        parser.add_argument("--steps", type=int, default=500)
        parser.add_argument("--no-register", action="store_true", help="only write the weights")
        parser.add_argument("--weights-dir", help="where to write the weights (default: shipped)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        weights_dir = Path(options["weights_dir"]) if options["weights_dir"] else None
        version = options["model_version"]
        if (
            not options["no_register"]
            and ModelVersion.objects.filter(
                model__name=segmentation_training.MODEL_NAME, version=version
            ).exists()
        ):
            raise CommandError(f"version {version} is already registered")
        card = segmentation_training.train(version, weights_dir, steps=options["steps"])
        if not options["no_register"]:
            card["registered"] = {"model_version": register_segmenter(version, card).pk}
        if options["json"]:
            self.stdout.write(json.dumps(card, indent=2))
        else:
            metrics = card["metrics"]
            self.stdout.write(
                f"pixel IoU {metrics['pixel_iou']}, precision {metrics['precision']}, recall "
                f"{metrics['recall']} on {metrics['particles']} particles in "
                f"{metrics['scenes']} held-out scenes; weights {card['weights_path']} "
                f"(sha256 {card['weights_sha256'][:12]})"
            )


def register_segmenter(version: str, card: dict) -> ModelVersion:
    return register_model_version(
        name=segmentation_training.MODEL_NAME,
        title="FlowCam particle segmenter (demo)",
        task=Task.SEGMENTATION,
        licence="Apache-2.0",
        description="Outlines plankton particles in FlowCam-like frames: a small U-Net "
        "trained on scenes composed from real FlowCam crops.",
        intended_use="Demonstration and first-pass outlines on frames with several "
        "particles; outlines go to review as predicted polygon annotations. Not validated "
        "on real multi-particle frames of other instruments.",
        version=version,
        framework=ModelVersion.Framework.TORCHSCRIPT,
        **card,
    )
