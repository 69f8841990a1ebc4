"""Load the demo catalogue (idempotent): what `make run` shows on a fresh machine.

The images are real FlowCam images (Apache-2.0, see catalogue/demo/), ingested
through the same services as any upload.
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet, State
from inference.services import start_embedding

DEMO = Path(__file__).resolve().parents[2] / "demo"

DEMO_SETS = [
    {
        "fields": {
            "title": "Phytoplankton FlowCam images in six classes (VLIZ demo set)",
            "description": (
                "105 FlowCam particle images exported from EcoTaxa in six classes "
                "(Actinoptychus, Bacillariophyceae, Ciliophora, Dinoflagellata, Noctilucales, "
                "Tripos), with the authors' train/validation/test split. From the demo images "
                "of the planktonclas package (VLIZ / LifeWatch Belgium)."
            ),
            "creators": [
                {"name": "Decrop, Wout", "affiliation": "Flanders Marine Institute (VLIZ)"}
            ],
            "licence": "Apache-2.0",
            "access": "open",
            "state": "published",
            "keywords": ["phytoplankton", "FlowCam", "EcoTaxa", "image classification"],
            "taxa": [
                {"scientific_name": "Actinoptychus", "rank": "Genus"},
                {"scientific_name": "Bacillariophyceae", "rank": "Class"},
                {"scientific_name": "Ciliophora", "rank": "Phylum"},
                {"scientific_name": "Dinoflagellata", "rank": "Phylum"},
                {"scientific_name": "Noctilucales", "rank": "Order"},
                {"scientific_name": "Tripos", "rank": "Genus"},
            ],
            "instrument": "FlowCam",
            "modality": "flow-imaging",
            "research_infrastructure": "LifeWatch Belgium",
            "related_identifiers": [
                {
                    "identifier": "10.3389/fmars.2025.1699781",
                    "identifier_type": "DOI",
                    "relation_type": "IsDescribedBy",
                }
            ],
            "version": "0.2.4",
        },
        "source": DEMO / "phytoplankton-flowcam" / "images",
    },
]


class Command(BaseCommand):
    help = "Create the demo image sets, with their images, if they are missing."

    def handle(self, *args, **options):
        for demo in DEMO_SETS:
            fields = demo["fields"]
            image_set = ImageSet.objects.filter(title=fields["title"]).first()
            if image_set is None:
                # A draft first: a published set takes no more files.
                draft = {**fields, "state": State.DRAFT}
                image_set = services.create_image_set(**draft, actor=SYSTEM)
            if image_set.state == State.DRAFT:
                batch = services.ingest(image_set, [demo["source"]], actor=SYSTEM)
                if fields.get("state") == State.PUBLISHED:
                    services.publish_image_set(image_set, actor=SYSTEM)
                self.stdout.write(
                    f"demo: {image_set.title}: {batch.added} image(s) added, "
                    f"{len(batch.rejected)} rejected"
                )
            else:
                self.stdout.write(f"demo: {image_set.title}: already loaded")
            start_embedding(image_set.images.values_list("pk", flat=True))  # queued, for the worker
