"""Publish a set from the command line, as the portal itself, and follow its deposit.

    manage.py publish 12                          # the only target configured, or none
    manage.py publish 6f1c...-uuid --target zenodo --follow
    manage.py publish 12 --follow --json

The deposit runs on a worker; this command queues it and prints it, and with
--follow polls it until it is published or has failed (Ctrl-C stops following,
not the deposit). Exit status: 0 published or queued, 1 the deposit failed (the
repository's messages printed per field) or the set cannot be published (already
published, unknown set), 2 the checklist or the target refused the set (every
problem printed at once; nothing changed).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import NoReturn

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalogue.access import SYSTEM
from catalogue.errors import AccessError, FieldError
from catalogue.models import ImageSet
from curation.models import Deposit
from curation.selectors import deposit_document
from curation.services.deposits import publish

ENDED = (Deposit.State.PUBLISHED, Deposit.State.FAILED)
POLL_SECONDS = 0.5


def current_step(deposit: Deposit) -> str:
    """What the progress bar says it is doing."""
    if deposit.state == Deposit.State.WAITING:
        return f"waiting ({deposit.error})" if deposit.error else "waiting"
    if deposit.steps and deposit.state != Deposit.State.QUEUED:
        return str(deposit.steps[-1].get("step", deposit.state))
    return str(deposit.state)


class Command(BaseCommand):
    help = "Publish an image set (as the system) to a target; follow its deposit."

    def add_arguments(self, parser):
        parser.add_argument("key", metavar="SET", help="the set's id or uuid")
        parser.add_argument("--target", help="a target of PUBLISH_TARGETS (default: the only one)")
        parser.add_argument("--follow", action="store_true", help="wait until it ends")
        parser.add_argument("--json", action="store_true", help="print the deposit as JSON")

    def handle(self, *args, key, target, follow, **options):
        as_json = options["json"]
        image_set = self.image_set(key)
        try:
            deposit = publish(image_set, actor=SYSTEM, target=target)
        except ValidationError as error:
            self.refused(image_set, error.message_dict, as_json=as_json)
        except FieldError as error:
            self.refused(image_set, {error.field: [error.reason]}, as_json=as_json)
        except AccessError as error:
            raise CommandError(f"set {image_set.pk}: {error.reason}") from error
        if follow and deposit.state not in ENDED:
            deposit = self.follow(deposit)
        if as_json:
            self.stdout.write(dumps(deposit_document(deposit)))
        else:
            self.print_deposit(deposit)
        if deposit.state == Deposit.State.FAILED:
            for field, messages in sorted((deposit.errors or {}).items()):
                for message in messages:
                    self.stderr.write(f"  {field}: {message}")
            raise CommandError(f"deposit {deposit.pk} failed: {deposit.error or 'no reason given'}")

    def image_set(self, key: str) -> ImageSet:
        lookup: dict
        if key.isdigit():
            lookup = {"pk": int(key)}
        else:
            try:
                lookup = {"uuid": uuid.UUID(key)}
            except ValueError as error:
                raise CommandError(f"{key!r} is neither a set id nor a uuid") from error
        found = ImageSet.objects.filter(**lookup).first()
        if found is None:
            raise CommandError(f"no image set {key}")
        return found

    def refused(
        self, image_set: ImageSet, problems: dict[str, list[str]], *, as_json: bool
    ) -> NoReturn:
        if as_json:
            self.stdout.write(dumps({"image_set": image_set.pk, "errors": problems}))
        self.stderr.write(f"set {image_set.pk} cannot be published:")
        for field, messages in problems.items():
            for message in messages:
                self.stderr.write(f"  {field}: {message}")
        count = sum(len(messages) for messages in problems.values())
        raise CommandError(f"{count} problem(s); nothing was changed", returncode=2)

    def follow(self, deposit: Deposit) -> Deposit:
        bar = tqdm(total=deposit.files_total, unit="file", desc=current_step(deposit), disable=None)
        try:
            while True:
                deposit.refresh_from_db()
                bar.total = deposit.files_total
                bar.n = deposit.files_done
                bar.set_description_str(current_step(deposit), refresh=False)
                bar.refresh()
                if deposit.state in ENDED:
                    return deposit
                self.wait()
        except KeyboardInterrupt:
            self.stderr.write(f"\nstopped following; deposit {deposit.pk} goes on")
            return deposit
        finally:
            bar.close()

    def wait(self) -> None:
        """Between two polls (the tests run the deposit here, standing in for the worker)."""
        time.sleep(POLL_SECONDS)

    def print_deposit(self, deposit: Deposit) -> None:
        out = self.stdout
        target = deposit.target or "no repository"
        out.write(
            f"deposit {deposit.pk} of set {deposit.image_set_id} to {target}: {deposit.state}, "
            f"{deposit.files_done}/{deposit.files_total} file(s)"
        )
        for step in deposit.steps:
            detail = f" ({step['detail']})" if step.get("detail") else ""
            out.write(f"  {step.get('at', '')}  {step.get('step', '')}{detail}")
        if deposit.doi:
            concept = f" (all versions: {deposit.concept_doi})" if deposit.concept_doi else ""
            out.write(f"  DOI {deposit.doi}{concept}")
        if deposit.remote_url:
            out.write(f"  record {deposit.remote_url}")
        if deposit.error:
            out.write(f"  error: {deposit.error}")


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
