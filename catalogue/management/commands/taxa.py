"""`manage.py taxa load | refresh [--names ...] | match NAME... | match --pending`.

load: the bundled WoRMS snapshot into the taxon table. refresh: re-read taxa from
WoRMS (all, or those of --names), with a progress bar, printing a JSON report; the
search documents that read a changed taxon are queued again.
match: what each name matches (taxon, synonym, concept, or the question it asks);
--pending asks WoRMS again about the names that waited for it.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Taxon
from catalogue.services import taxa, taxa_refresh
from catalogue.vocabularies.taxa import snapshot
from catalogue.vocabularies.taxa.worms import WormsClient, WormsError, mark_reachable


class Command(BaseCommand):
    help = "Load, refresh and match WoRMS taxa."

    def add_arguments(self, parser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("load", help="load the bundled snapshot")
        refresh = commands.add_parser("refresh", help="re-read taxa from WoRMS")
        refresh.add_argument("--names", nargs="+", help="only these scientific names")
        match = commands.add_parser("match", help="what names match")
        match.add_argument("names", nargs="*")
        match.add_argument("--pending", action="store_true", help="retry the pending names")
        match.add_argument("--offline", action="store_true", help="the taxon table only")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "load":
            report = snapshot.load(Taxon)
        elif action == "refresh":
            report = self.refresh(options.get("names"))
        elif options["pending"]:
            mark_reachable()
            report = taxa.retry_pending()
        elif options["names"]:
            report = self.match(options["names"], online=not options["offline"])
        else:
            raise CommandError("give names to match, or --pending")
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))

    def match(self, names: list[str], *, online: bool) -> dict:
        found = taxa.match_names(names, online=online)
        return {
            name: {
                "kind": m.kind,
                "aphia_id": m.taxon.aphia_id if m.taxon else None,
                "scientific_name": m.taxon.scientific_name if m.taxon else None,
                "rank": m.taxon.rank if m.taxon else None,
                "lsid": m.taxon.lsid if m.taxon else None,
                "note": m.note,
                "candidates": m.candidates,
            }
            for name, m in found.items()
        }

    def refresh(self, names: list[str] | None) -> dict:
        mark_reachable()
        client = WormsClient()
        rows = Taxon.objects.all()
        if names:
            rows = rows.filter(scientific_name__in=names)
        ids = list(rows.values_list("aphia_id", flat=True))
        report: dict = {"asked": len(ids), "updated": 0, "unknown": [], "failed": {}}
        before = taxa_refresh.snapshot()
        for done, aphia_id in enumerate(ids, start=1):
            try:
                record = client.record(aphia_id)
                if record is None:
                    report["unknown"].append(aphia_id)
                else:
                    taxa.store(record, client)
                    report["updated"] += 1
            except WormsError as error:
                report["failed"][aphia_id] = str(error)
                if "unavailable" in str(error).lower():
                    report["stopped"] = "WoRMS is unavailable; run refresh again later"
                    break
            self.progress(done, len(ids))
        if names:
            missing = sorted(set(names) - set(rows.values_list("scientific_name", flat=True)))
            report["new"] = self.match(missing, online=True) if missing else {}
        report["calls"] = client.calls
        changed = taxa_refresh.changed_between(before, taxa_refresh.snapshot())
        report["changed"] = len(changed)
        report["requeued"] = taxa_refresh.requeue_documents(changed)
        return report

    def progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=end)
        self.stderr.flush()
