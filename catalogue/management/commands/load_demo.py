"""Load the demo catalogue (idempotent): what `make run` shows on a fresh machine."""

from django.core.management.base import BaseCommand

from catalogue.models import ImageSet
from catalogue.services import create_image_set

DEMO_SETS = [
    {
        "title": "Phytoplankton (FlowCam) demo images — VLIZ",
        "description": (
            "105 FlowCam particle images exported from EcoTaxa in six classes "
            "(Actinoptychus, Bacillariophyceae, Ciliophora, Dinoflagellata, Noctilucales, "
            "Tripos), from the planktonclas package of VLIZ / LifeWatch Belgium (Apache-2.0)."
        ),
    },
]


class Command(BaseCommand):
    help = "Create the demo image sets if they are missing."

    def handle(self, *args, **options):
        created = 0
        for demo in DEMO_SETS:
            if not ImageSet.objects.filter(title=demo["title"]).exists():
                create_image_set(**demo)
                created += 1
        self.stdout.write(f"demo data: {created} set(s) created, {len(DEMO_SETS)} in the demo")
