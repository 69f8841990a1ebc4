"""manage.py backup DIR: the database and every stored file, with their checksums."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from aquacat import backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, or SQLite's backup) and a copy of every stored "
        "file with its sha256 into an empty folder; `manage.py restore` brings them back."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="an empty or new folder")

    def handle(self, *args, folder, **options):
        target = Path(folder)
        if target.exists() and any(target.iterdir()):
            raise CommandError(f"{target} is not empty")
        target.mkdir(parents=True, exist_ok=True)
        try:
            database = backup.dump_database(target)
            with tqdm(unit="file", desc="files", disable=None) as bar:
                files = backup.copy_out(target, lambda _key: bar.update())
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps({"folder": str(target), "database": database, "files": files}))
