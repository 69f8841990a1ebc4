"""Re-hash stored files now: this run's share of the rota, or every file (--all)."""

import json

from django.core.management.base import BaseCommand
from tqdm import tqdm

from catalogue.fixity.models import FileCheck
from catalogue.fixity.selectors import fixity_summary
from catalogue.fixity.services import enrol_files, run_rota, share_per_run


class Command(BaseCommand):
    help = "Check stored originals and thumbnails against their sha256 (the fixity rota)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="read every stored file")

    def handle(self, *args, all=False, **options):
        enrol_files()
        total = FileCheck.objects.count()
        limit = total if all else share_per_run(total)
        with tqdm(total=limit, unit="file", desc="fixity", disable=None) as bar:
            report = run_rota(limit=limit, on_file=lambda _row: bar.update())
        summary = fixity_summary()
        self.stdout.write(json.dumps({**report, "summary": summary}))
        if summary["problems"]:
            self.stderr.write(f"{summary['problems']} stored files have a problem")
