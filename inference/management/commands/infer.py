"""Run a model over catalogued images from the command line, with a progress bar.

    manage.py infer --model flowcam-phytoplankton --set 12        # one set
    manage.py infer --model flowcam-phytoplankton --search "q=diatom&instrument=FlowCam"
    manage.py infer --embeddings                                  # vectors still missing
    manage.py infer --cancel 7 | --retry 7 | --follow 7

The job runs on the inference workers; this command queues it and follows its
progress until it ends (Ctrl-C stops following, not the job), unless --no-wait.
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict
from tqdm import tqdm

from inference.models import InferenceJob, ModelVersion
from inference.selectors import job_progress
from inference.services import (
    JobError,
    cancel_job,
    register_embedder,
    retry_job,
    start_embedding,
    start_job,
)

ENDED = ("done", "failed", "cancelled")


class Command(BaseCommand):
    help = "Run a model version over a set, a saved search or missing embeddings; follow it."

    def add_arguments(self, parser):
        parser.add_argument("--model", help="model name (manage.py infer --list shows them)")
        parser.add_argument(
            "--model-version", dest="model_version", help="version (default: the newest)"
        )
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--set", type=int, dest="set_id", help="id of an image set")
        what.add_argument("--search", help='search parameters, e.g. "q=diatom&year=2021"')
        what.add_argument("--embeddings", action="store_true", help="embed images lacking one")
        what.add_argument("--cancel", type=int, metavar="JOB", help="cancel a job")
        what.add_argument("--retry", type=int, metavar="JOB", help="retry what did not finish")
        what.add_argument("--follow", type=int, metavar="JOB", help="follow a running job")
        what.add_argument("--list", action="store_true", help="list the model versions")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--no-wait", action="store_true", help="queue and return")
        parser.add_argument("--json", action="store_true", help="print the outcome as JSON")

    def handle(self, *args, **options):
        if options["list"]:
            for version in ModelVersion.objects.select_related("model").order_by("model__name"):
                self.stdout.write(f"{version.model.name} {version.version} ({version.model.task})")
            return
        try:
            job = self.job_for(options)
        except JobError as error:
            raise CommandError(str(error)) from error
        if job is None:
            self.stdout.write("nothing to do: every image has its embedding or is queued")
            return
        if not options["no_wait"] and job.state not in ENDED:
            job = self.follow(job)
        outcome = {"job": job.pk, **job_progress(job)}
        if options["json"]:
            self.stdout.write(json.dumps(outcome))
        else:
            self.stdout.write(
                f"job {job.pk}: {job.state}, {outcome['processed']}/{outcome['total']} images, "
                f"{outcome['failed_images']} failed"
            )
        if job.state == "failed":
            raise CommandError(f"job {job.pk} failed: {job.error or 'see its batches'}")

    def job_for(self, options) -> InferenceJob | None:
        for action, change in (("cancel", cancel_job), ("retry", retry_job), ("follow", None)):
            if options[action] is not None:
                job = self.existing(options[action])
                return change(job) if change else job
        if options["embeddings"]:
            return start_embedding(batch_size=options["batch_size"])
        if options["set_id"] is not None:
            selection = {"image_set": options["set_id"]}
        elif options["search"] is not None:
            selection = {"search": dict(QueryDict(options["search"]).lists())}
        else:
            raise CommandError("say what to run on: --set, --search or --embeddings")
        version = self.version(options["model"], options["model_version"])
        # An operator's job: every image selected, whatever its access.
        return start_job(
            version,
            selection,
            None,
            batch_size=options["batch_size"],
            allow_empty=False,
            system=True,
        )

    def version(self, model: str | None, version: str | None) -> ModelVersion:
        if not model:
            raise CommandError("--model is required (see --list)")
        if model == "efficientnet-lite0-imagenet":
            register_embedder()
        versions = ModelVersion.objects.filter(model__name=model).order_by("-created")
        if version:
            versions = versions.filter(version=version)
        found = versions.first()
        if found is None:
            raise CommandError(f"no model version {model} {version or ''}".strip())
        return found

    def existing(self, pk: int) -> InferenceJob:
        try:
            return InferenceJob.objects.get(pk=pk)
        except InferenceJob.DoesNotExist as error:
            raise CommandError(f"no job {pk}") from error

    def follow(self, job: InferenceJob) -> InferenceJob:
        bar = tqdm(total=job.total, unit="image", desc=f"job {job.pk}", disable=None)
        try:
            while True:
                job.refresh_from_db()
                progress = job_progress(job)
                bar.update(progress["processed"] - bar.n)
                if job.state in ENDED:
                    return job
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stderr.write(f"\nstopped following; job {job.pk} goes on (--cancel {job.pk})")
            return job
        finally:
            bar.close()
