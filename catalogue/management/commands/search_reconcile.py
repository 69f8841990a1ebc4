"""Repair drift between the database and the search index."""

import json

from django.core.management.base import BaseCommand
from tqdm import tqdm

from catalogue.search import get_backend
from catalogue.search.maintenance import reconcile
from catalogue.search.outbox import process_outbox


class Command(BaseCommand):
    help = "Index pending changes, then compare ids and revisions and repair the index."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["set", "image"], action="append")

    def handle(self, *args, kind=None, **options):
        backend = get_backend()
        backend.setup()
        self.stdout.write(json.dumps({"outbox": process_outbox(backend)}))
        for name in kind or ["set", "image"]:
            with tqdm(unit="doc", desc=f"reconcile {name}s", disable=None) as bar:
                report = reconcile(backend, name, bar.update)
            self.stdout.write(json.dumps(report))
