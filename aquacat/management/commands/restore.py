"""manage.py restore DIR: a backup into a fresh database and storage, then the search
index rebuilt and every file's checksum checked against the backup's."""

import io
import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from aquacat import backup
from catalogue.fixity.models import FileCheck
from catalogue.fixity.services import enrol_files, run_rota
from catalogue.models import Image, ImageSet
from curation.models import Annotation


class Command(BaseCommand):
    help = (
        "Restore a backup of `manage.py backup` into the configured database and storage, "
        "which must be empty; rebuild the search index; check every file (fixity) and "
        "compare its sha256 with the backup's. Prints the counts found."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder")

    def handle(self, *args, folder, **options):
        source = Path(folder)
        try:
            manifest = backup.manifest_of(source)
            backup.restore_database(source)
            with tqdm(total=len(manifest), unit="file", desc="files", disable=None) as bar:
                backup.copy_in(source, lambda _key: bar.update())
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        reindexed = io.StringIO()
        call_command("search_reindex", stdout=reindexed)
        enrol_files()
        fixity = run_rota(limit=FileCheck.objects.count())
        read = dict(FileCheck.objects.values_list("storage_key", "actual_sha256"))
        differ = [e["key"] for e in manifest if e["key"] in read and read[e["key"]] != e["sha256"]]
        report = {
            "image_sets": ImageSet.objects.count(),
            "images": Image.objects.count(),
            "annotations": Annotation.objects.count(),
            "files": len(manifest),
            "search": [json.loads(line) for line in reindexed.getvalue().splitlines() if line],
            "fixity": fixity["results"],
            "checksums_as_backed_up": sum(1 for e in manifest if read.get(e["key"]) == e["sha256"]),
            "checksums_differing": differ[:20],
        }
        self.stdout.write(json.dumps(report))
        if differ or set(fixity["results"]) - {"ok", "baseline"}:
            raise CommandError(f"restored with problems: {json.dumps(report)}")
