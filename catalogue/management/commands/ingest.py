"""Ingest files into a set from folders, files, archives or S3 prefixes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalogue import services
from catalogue.access import SYSTEM
from catalogue.ingest.errors import IngestError
from catalogue.ingest.sidecars import IFDO, parse_sidecar, sniff_sidecar
from catalogue.models import ImageSet
from catalogue.recordings.frames import chosen_sampling


def read_set_metadata(path: Path) -> dict:
    """Set fields from a JSON or YAML file: AquaCat's own field names, or an iFDO."""
    data = path.read_bytes()
    if sniff_sidecar(path.name, data[:4096]) == IFDO:
        fields = parse_sidecar(path.name, data).set_metadata.fields
        allowed = {f.name for f in ImageSet._meta.get_fields()}
        return {key: value for key, value in fields.items() if key in allowed and value}
    loaded = yaml.safe_load(data) if path.suffix.lower() in (".yaml", ".yml") else json.loads(data)
    if not isinstance(loaded, dict):
        raise CommandError(f"{path}: expected a mapping of set fields")
    return loaded


class Command(BaseCommand):
    help = "Ingest images (folders, files, ZIP/TAR archives, s3:// prefixes) into an image set."

    def add_arguments(self, parser):
        parser.add_argument(
            "sources", nargs="+", help="folder, file, archive or s3://bucket/prefix"
        )
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--set", type=int, dest="set_id", help="id of an existing set")
        target.add_argument("--new-set", type=Path, help="JSON/YAML (or iFDO) of the new set")
        parser.add_argument("--owner", help="username owning a new set")
        parser.add_argument("--workers", type=int, default=None, help="processes (default 1)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--without-metadata",
            action="store_true",
            help="import the images of a refused sidecar all the same, without its metadata",
        )
        sampling = parser.add_mutually_exclusive_group()
        sampling.add_argument(
            "--frame-rate",
            type=float,
            help="videos: frames kept per second (default: the RECORDING_FRAMES setting)",
        )
        sampling.add_argument(
            "--scene-threshold",
            type=float,
            help="videos: a frame at each scene change of at least this mean change (0..1]",
        )

    def handle(self, *args, sources, set_id, new_set, owner, workers, **options):
        frames, wrong = chosen_sampling(options["frame_rate"], options["scene_threshold"])
        if wrong:
            raise CommandError(
                "; ".join(
                    f"--{field.replace('_', '-')}: {reason}" for field, reason in wrong.items()
                )
            )
        image_set = self.target_set(set_id, new_set, owner)
        bar = tqdm(unit="file", desc=f"ingest into set {image_set.pk}", disable=None)

        def progress(outcome):
            bar.update(1)
            bar.set_postfix_str(outcome.status, refresh=False)

        try:
            batch = services.ingest(
                image_set,
                sources,
                workers=workers,
                on_progress=progress,
                without_metadata=options["without_metadata"],
                frames=frames,
                actor=SYSTEM,
            )
        except IngestError as error:
            raise CommandError(str(error)) from error
        finally:
            bar.close()
        report = {
            "set": image_set.pk,
            "batch": batch.pk,
            "seen": batch.total,
            "added": batch.added,
            "updated": batch.updated,
            "duplicates": batch.duplicates,
            "rejected": batch.rejected,
            "warnings": batch.warnings,
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self.print_summary(report)
        if batch.rejected:
            sys.exit(1)

    def target_set(self, set_id, new_set, owner) -> ImageSet:
        if set_id is not None:
            try:
                return ImageSet.objects.get(pk=set_id)
            except ImageSet.DoesNotExist as error:
                raise CommandError(f"no image set with id {set_id}") from error
        fields = read_set_metadata(new_set)
        if owner:
            fields["owner"] = get_user_model().objects.get(username=owner)
        try:
            return services.create_image_set(**fields, actor=SYSTEM)
        except (ValidationError, TypeError) as error:
            raise CommandError(f"{new_set}: {error}") from error

    def print_summary(self, report: dict) -> None:
        out = self.stdout
        out.write(
            f"set {report['set']}: {report['seen']} file(s) seen, {report['added']} added, "
            f"{len(report['updated'])} updated, {len(report['duplicates'])} duplicate(s), "
            f"{len(report['rejected'])} rejected"
        )
        for updated in report["updated"]:
            out.write(f"  updated   {updated['name']}")
        for duplicate in report["duplicates"]:
            out.write(f"  duplicate {duplicate['name']} (same as {duplicate['same_as']})")
        for rejection in report["rejected"]:
            problems = rejection.get("problems")
            if not problems:
                out.write(f"  rejected  {rejection['name']}: {rejection['reason']}")
                continue
            count = len(problems) + rejection.get("more", 0)
            out.write(f"  rejected  {rejection['name']}: {count} problem(s)")
            for problem in problems:
                spot = ", ".join(
                    part
                    for part in (
                        f"line {problem['line']}" if problem["line"] is not None else "",
                        f"column {problem['column']}" if problem["column"] else "",
                    )
                    if part
                )
                value = f" {problem['value']!r}" if problem["value"] else ""
                out.write(f"    {spot or 'file'}:{value} {problem['reason']}")
            if rejection.get("more"):
                out.write(f"    and {rejection['more']} more")
        for warning in report["warnings"]:
            out.write(f"  warning   {warning}")
