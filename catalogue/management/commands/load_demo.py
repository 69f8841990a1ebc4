"""Load the demo catalogue (idempotent): what `make run` shows on a fresh machine.

The images are real FlowCam images (Apache-2.0, see catalogue/demo/), ingested
through the same services as any upload.

The shipped models' numerics (inference/numerics/) are verified as registration
does: queued for an inference worker, before the demo's embedding job, so the
worker runs that job in what it verified. When no broker answers, they are
verified here, in this process, on this machine's device (a worker on another
device verifies its own with `manage.py verify_numerics --all --queue`).
"""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.models import ImageSet, State
from inference.numerics.policy import broker_reachable, unverified_versions
from inference.services import register_embedder, start_embedding

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
        verify_shipped_models(self)  # queued ahead of the embedding jobs below
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


def verify_shipped_models(command: BaseCommand) -> None:
    """Queue (or, with no broker, run here) the numerics verification of every
    registered version that has none, the embedder registered first."""
    register_embedder()
    ids = [str(pk) for pk in unverified_versions().values_list("pk", flat=True)]
    if not ids:
        return
    queued = broker_reachable()
    command.stdout.write(
        f"demo: numerics of model versions {', '.join(ids)} "
        + ("queued for a worker" if queued else "verified here (no broker)")
    )
    call_command("verify_numerics", *ids, *(["--queue"] if queued else []), stdout=command.stdout)
