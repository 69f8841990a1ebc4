"""`manage.py harvest add|list|run|remove`: harvest sources from the command line.

harvest add NAME --oai URL [--set SPEC] [--interval 1d]
harvest add NAME --invenio URL [--community C] [--query Q]
harvest add NAME --aquacat URL [--set RESEARCH_INFRASTRUCTURE]
    (its token, if any, from the environment: AQUACAT_HARVEST_TOKEN_<NAME>)
harvest list
harvest run NAME        (a progress bar on stderr, the run's JSON report on stdout)
harvest remove NAME
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalogue.access import SYSTEM
from catalogue.errors import FieldError
from catalogue.harvest import runs, services, tokens
from catalogue.harvest.services import validation_problems
from catalogue.models import HarvestRun, HarvestSource


class Command(BaseCommand):
    help = "Manage and run harvest sources (OAI-PMH, InvenioRDM, other AquaCats)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="add a source")
        add.add_argument("name")
        kind = add.add_mutually_exclusive_group(required=True)
        kind.add_argument("--oai", metavar="URL", help="an OAI-PMH base URL")
        kind.add_argument("--invenio", metavar="URL", help="an InvenioRDM site")
        kind.add_argument("--aquacat", metavar="URL", help="another AquaCat")
        add.add_argument(
            "--set",
            dest="set_spec",
            default="",
            help="OAI-PMH setSpec; of an AquaCat, a research infrastructure",
        )
        add.add_argument("--community", default="", help="InvenioRDM community")
        add.add_argument("--query", default="", help="InvenioRDM search query")
        add.add_argument("--interval", default="1d", help="how often: 30m, 6h, 1d (default 1d)")
        actions.add_parser("list", help="list the sources")
        run = actions.add_parser("run", help="harvest a source now")
        run.add_argument("name")
        run.add_argument(
            "--full", action="store_true", help="list the source whole (finds deletions)"
        )
        remove = actions.add_parser("remove", help="remove a source and its external sets")
        remove.add_argument("name")

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def source(self, name: str) -> HarvestSource:
        try:
            return HarvestSource.objects.get(name=name)
        except HarvestSource.DoesNotExist as missing:
            raise CommandError(f"no harvest source named {name!r}") from missing

    def do_add(self, *, name, oai, invenio, aquacat, set_spec, community, query, interval, **_):
        kind, url = next(
            (kind, url)
            for kind, url in (("oai", oai), ("invenio", invenio), ("aquacat", aquacat))
            if url
        )
        try:
            source = services.add_source(
                actor=SYSTEM,
                name=name,
                kind=kind,
                base_url=url,
                set_spec=set_spec,
                community=community,
                query=query,
                interval=services.interval_from_text(interval),
            )
        except FieldError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(validation_problems(error)) from error
        self.stdout.write(json.dumps(describe(source)))

    def do_list(self, **_):
        rows = [describe(source) for source in HarvestSource.objects.all()]
        self.stdout.write(json.dumps(rows, indent=2))

    def do_run(self, *, name, full=False, **_):
        source = self.source(name)
        bar = tqdm(unit="record", desc=f"harvest {name}", file=self.stderr._out, disable=None)

        def progress(run: HarvestRun, records: int | None) -> None:
            bar.update(records or 0)
            bar.set_postfix(new=run.new, updated=run.updated, deleted=run.deleted)

        try:
            run = runs.harvest(source, full=full, progress=progress)
        finally:
            bar.close()
        self.stdout.write(json.dumps(runs.report(run), indent=2))
        if run.status == HarvestRun.Status.FAILED:
            raise CommandError(f"harvest of {name} failed: {run.errors[-1]['reason']}")

    def do_remove(self, *, name, **_):
        removed = services.remove_source(self.source(name), actor=SYSTEM)
        self.stdout.write(json.dumps({"removed": name, "external_sets": removed}))


def describe(source: HarvestSource) -> dict:
    last = source.runs.first()
    return {
        "name": source.name,
        "kind": source.kind,
        "url": source.base_url,
        "set": source.set_spec,
        "community": source.community,
        "query": source.query,
        "metadata_prefix": source.metadata_prefix,
        "last_datestamp": source.last_datestamp.isoformat() if source.last_datestamp else None,
        "enabled": source.enabled,
        "interval_seconds": int(source.interval.total_seconds()),
        "external_sets": source.image_sets.filter(remote_deleted__isnull=True).count(),
        "last_run": runs.report(last) if last else None,
        # An AquaCat's token: the variable it is read from, and whether it is set.
        "token": tokens.describe(source) if source.kind == HarvestSource.Kind.AQUACAT else None,
    }
