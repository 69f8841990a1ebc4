"""Verify the fastest safe numerics of model versions, e.g. those registered before
verification existed, or after a worker moved to another device.

    manage.py verify_numerics 3 7          # these versions, on this machine's device
    manage.py verify_numerics --all        # every version
    manage.py verify_numerics --all --queue  # on the inference workers' device

A record is kept per device (inference/numerics/), so run it where the models run:
on a worker host, or with --queue. Prints one JSON object.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from inference.models import ModelVersion
from inference.numerics.policy import queue_verification
from inference.numerics.verify import verify_version


class Command(BaseCommand):
    help = "Measure and record the fastest numerics that keep each version's outputs."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="model version ids (/api/v1/models/)")
        parser.add_argument("--all", action="store_true", help="every registered version")
        parser.add_argument("--queue", action="store_true", help="send to the workers instead")

    def handle(self, *args, **options):
        ids, every = options["ids"], options["all"]
        if bool(ids) == every:
            raise CommandError("name model version ids or --all (not both)")
        versions = ModelVersion.objects.select_related("model").order_by("pk")
        if ids:
            versions = versions.filter(pk__in=ids)
            unknown = sorted(set(ids) - set(versions.values_list("pk", flat=True)))
            if unknown:
                raise CommandError(f"no model version {', '.join(map(str, unknown))}")
        report: dict = {}
        for version in tqdm(list(versions), desc="versions", unit="version", disable=None):
            name = f"{version.model.name} {version.version} (#{version.pk})"
            if options["queue"]:
                queue_verification(version)
                report[name] = "queued"
            else:
                entry = verify_version(version)
                report[name] = entry.get("chosen") or {"skipped": entry.get("skipped")}
        self.stdout.write(json.dumps(report, indent=2))
