"""Rebuild the search index: a new index is filled, then swapped in atomically."""

import json

from django.core.management.base import BaseCommand
from tqdm import tqdm

from catalogue.models import Image, ImageSet
from catalogue.search import get_backend
from catalogue.search.maintenance import rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the search index of sets and images from the database, with no downtime. "
        "Run it after the Taxon table changes (`manage.py taxa`): documents carry the "
        "names, synonyms and vernaculars of their taxa, which no row revision tracks, so "
        "`search_reconcile` does not see them change."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=["set", "image"], action="append")

    def handle(self, *args, kind=None, **options):
        backend = get_backend()
        for name in kind or ["set", "image"]:
            total = (ImageSet if name == "set" else Image).objects.count()
            with tqdm(total=total, unit="doc", desc=f"reindex {name}s", disable=None) as bar:
                report = rebuild(backend, name, bar.update)
            self.stdout.write(json.dumps(report))
